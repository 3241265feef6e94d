// Package seeds carries the data derived from the standard — the demo
// community's site file and the rule pack — inside the binary, so that
// `facmon demo` runs anywhere without the source tree.
package seeds

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed sites/demo.yaml rules/*.yaml
var files embed.FS

// DemoSite is the demo site's path inside FS().
const DemoSite = "sites/demo.yaml"

// FS returns the embedded seed files.
func FS() fs.FS { return files }

// WriteTo copies every seed file under dir, keeping the layout (the demo
// site names its rules as ../rules/*.yaml), and returns the path of the
// demo site file.
func WriteTo(dir string) (string, error) {
	err := fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o640)
	})
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, DemoSite), nil
}
