package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// PDF prints the HTML page in htmlFile to pdfFile with headless
// Chromium (the binary chromium names), using the page's print CSS.
func PDF(ctx context.Context, chromium, htmlFile, pdfFile string) error {
	abs, err := filepath.Abs(htmlFile)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(pdfFile)
	if err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "facmon-report-chromium")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	args := []string{"--headless", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + profile, "--no-pdf-header-footer", "--print-to-pdf=" + out, "file://" + abs}
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...) // Chromium refuses root otherwise
	}
	cmd := exec.CommandContext(ctx, chromium, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s --print-to-pdf: %w: %s", chromium, err, tail(b))
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		return fmt.Errorf("%s --print-to-pdf wrote no %s", chromium, out)
	}
	return nil
}

func tail(b []byte) string {
	if len(b) > 500 {
		b = b[len(b)-500:]
	}
	return string(b)
}
