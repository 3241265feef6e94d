package web

import (
	"log"
	"log/slog"
	"strings"
)

// slogErrorLog routes the standard library's error logs into slog.
type slogErrorLog struct{ l *slog.Logger }

// Println satisfies promhttp.Logger.
func (s slogErrorLog) Println(v ...any) {
	var b strings.Builder
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(toString(x))
	}
	s.l.Error(b.String())
}

func (s slogErrorLog) std() *log.Logger { return slog.NewLogLogger(s.l.Handler(), slog.LevelWarn) }

func toString(x any) string {
	if e, ok := x.(error); ok {
		return e.Error()
	}
	if s, ok := x.(string); ok {
		return s
	}
	return strings.TrimSpace(strings.Trim(slog.AnyValue(x).String(), "{}"))
}
