package history

import (
	"context"
	"fmt"
	"strings"
)

// Last returns the newest row of measurement whose tag key equals value:
// its fields by column name (numbers as json.Number), nil if there is none.
// `facmon journal verify --witness` reads the journal head so.
func (r *Reader) Last(ctx context.Context, measurement, tag, value string, fields ...string) (map[string]any, error) {
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = quoteIdent(f)
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s ORDER BY time DESC LIMIT 1",
		strings.Join(cols, ", "), r.c.from(measurement), quoteIdent(tag), quoteString(value))
	ss, err := r.c.query(ctx, q)
	if err != nil || len(ss) == 0 || len(ss[0].Values) == 0 {
		return nil, err
	}
	row := map[string]any{}
	for i, c := range ss[0].Columns {
		if i < len(ss[0].Values[0]) {
			row[c] = ss[0].Values[0][i]
		}
	}
	return row, nil
}
