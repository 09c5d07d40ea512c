package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Counts are the rows of each table.
type Counts struct {
	Runs, Results, Items int
}

// Check verifies the store and counts its rows: SQLite's own integrity
// check, this nnergy's schema version, and that every stored JSON value
// parses. A store that a killed writer left behind passes it.
func (s *Store) Check(ctx context.Context) (Counts, error) {
	var c Counts
	if s.backend == SQLite {
		rows, err := s.db.QueryContext(ctx, `PRAGMA integrity_check`)
		if err != nil {
			return c, s.errorf("integrity check: %v", err)
		}
		var msgs []string
		for rows.Next() {
			var m string
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return c, s.errorf("integrity check: %v", err)
			}
			msgs = append(msgs, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return c, s.errorf("integrity check: %v", err)
		}
		if len(msgs) != 1 || msgs[0] != "ok" {
			return c, s.errorf("integrity check: %s", strings.Join(msgs, "; "))
		}
	}
	if v, err := s.Version(ctx); err != nil {
		return c, err
	} else if v != SchemaVersion {
		return c, s.errorf("schema version %d, want %d", v, SchemaVersion)
	}
	for _, t := range []struct {
		table, key, cols string
		n                *int
	}{
		{"runs", "id", "settings, report, command", &c.Runs},
		{"results", "key", "value", &c.Results},
		{"items", "run_key || '/' || idx", "value", &c.Items},
	} {
		rows, err := s.db.QueryContext(ctx, `SELECT `+t.key+`, `+t.cols+` FROM `+t.table)
		if err != nil {
			return c, s.errorf("%s: %v", t.table, err)
		}
		ncol := strings.Count(t.cols, ",") + 1
		for rows.Next() {
			var key string
			vals := make([]*string, ncol)
			dest := []any{&key}
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return c, s.errorf("%s: %v", t.table, err)
			}
			for i, v := range vals {
				if v != nil && !json.Valid([]byte(*v)) {
					rows.Close()
					return c, s.errorf("%s %s: %s is not valid JSON", t.table, key, strings.TrimSpace(strings.Split(t.cols, ",")[i]))
				}
			}
			*t.n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return c, s.errorf("%s: %v", t.table, err)
		}
	}
	return c, nil
}

func (c Counts) String() string {
	return fmt.Sprintf("%d runs, %d results, %d items", c.Runs, c.Results, c.Items)
}
