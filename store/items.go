package store

import (
	"context"
	"fmt"
)

// Item is one part of a run (a point or a shard of a sweep): a JSON value
// under a run key and an index.
type Item struct {
	// RunKey names the run the item belongs to, for instance the Key of a
	// sweep's canonical spec: runs of the same key share their items.
	RunKey string
	Index  int
	Value  []byte
	// Done marks an item final: it never changes again.
	Done bool
}

// PutItems stores items in one transaction and returns how many it wrote:
// an item not stored yet is stored; one stored but not done takes the new
// value and done marker; one stored done is left as it is. Writing the same
// items twice, or re-running a part killed after it marked its items done,
// changes nothing.
func (s *Store) PutItems(ctx context.Context, items ...Item) (int, error) {
	for _, it := range items {
		if it.RunKey == "" {
			return 0, fmt.Errorf("store: item %d has no run key", it.Index)
		}
		if it.Index < 0 {
			return 0, fmt.Errorf("store: item %s/%d: negative index", it.RunKey, it.Index)
		}
		if err := checkJSON(fmt.Sprintf("value of item %s/%d", it.RunKey, it.Index), it.Value, false); err != nil {
			return 0, err
		}
	}
	t := now()
	args := make([][]any, len(items))
	for i, it := range items {
		args[i] = []any{it.RunKey, it.Index, string(it.Value), it.Done, t}
	}
	return s.writeRows(ctx, `INSERT INTO items (run_key, idx, value, done, updated) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (run_key, idx) DO UPDATE SET value = excluded.value, done = excluded.done, updated = excluded.updated WHERE items.done = FALSE`,
		args, func(i int) string { return fmt.Sprintf("item %s/%d", items[i].RunKey, items[i].Index) })
}

// Items returns the items of runKey in index order.
func (s *Store) Items(ctx context.Context, runKey string) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT idx, value, done FROM items WHERE run_key = ? ORDER BY idx`), runKey)
	if err != nil {
		return nil, s.errorf("items of %s: %v", runKey, err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it := Item{RunKey: runKey}
		var v string
		if err := rows.Scan(&it.Index, &v, &it.Done); err != nil {
			return nil, s.errorf("items of %s: %v", runKey, err)
		}
		it.Value = []byte(v)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errorf("items of %s: %v", runKey, err)
	}
	return out, nil
}
