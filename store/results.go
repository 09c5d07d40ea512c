package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"

	"github.com/nnergy/nnergy/internal/contentkey"
)

// Key returns the key of a result: the hex SHA-256 of parts, each
// length-prefixed so that no two lists of parts give the same bytes. The
// parts are the canonical bytes of what determines the result (an
// architecture's canonical YAML, a layer's shape and densities, the mapper's
// settings, the model's version); the caller chooses them.
func Key(parts ...[]byte) string { return contentkey.Of(parts...) }

// checkKey checks that k is a Key.
func checkKey(k string) error {
	if len(k) != 2*sha256.Size {
		return fmt.Errorf("store: result key %q: want %d lower-case hex digits (store.Key)", k, 2*sha256.Size)
	}
	for _, c := range k {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("store: result key %q: want %d lower-case hex digits (store.Key)", k, 2*sha256.Size)
		}
	}
	return nil
}

// Result is a JSON value under its key.
type Result struct {
	Key   string
	Value []byte
}

// PutResults stores the results whose keys are not stored yet, in one
// transaction, and returns how many it stored: a key already stored keeps
// its first value, so a second sweep's writes change nothing.
func (s *Store) PutResults(ctx context.Context, rs ...Result) (int, error) {
	for _, r := range rs {
		if err := checkKey(r.Key); err != nil {
			return 0, err
		}
		if err := checkJSON("value of result "+r.Key, r.Value, false); err != nil {
			return 0, err
		}
	}
	t := now()
	args := make([][]any, len(rs))
	for i, r := range rs {
		args[i] = []any{r.Key, string(r.Value), t}
	}
	return s.writeRows(ctx, `INSERT INTO results (key, value, created) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`, args,
		func(i int) string { return "result " + rs[i].Key })
}

// Result returns the value stored under key; ok is false when there is none.
func (s *Store) Result(ctx context.Context, key string) (value []byte, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	var v string
	switch err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM results WHERE key = ?`), key).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, s.errorf("result %s: %v", key, err)
	}
	return []byte(v), true, nil
}

// writeRows runs query once per row of args, in one transaction, and
// returns how many rows it changed; what names a row in errors.
func (s *Store) writeRows(ctx context.Context, query string, args [][]any, what func(i int) string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.errorf("%v", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, s.q(query))
	if err != nil {
		return 0, s.errorf("%v", err)
	}
	defer st.Close()
	n := 0
	for i, a := range args {
		res, err := st.ExecContext(ctx, a...)
		if err != nil {
			return 0, s.errorf("%s: %v", what(i), err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, s.errorf("%s: %v", what(i), err)
		}
		n += int(k)
	}
	if err := tx.Commit(); err != nil {
		return 0, s.errorf("%v", err)
	}
	return n, nil
}
