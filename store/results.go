package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// Key returns the key of a result: the hex SHA-256 of parts, each
// length-prefixed so that no two lists of parts give the same bytes. The
// parts are the canonical bytes of what determines the result (an
// architecture's canonical YAML, a layer's shape and densities, the mapper's
// settings, the model's version); the caller chooses them.
func Key(parts ...[]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

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
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		st, err := tx.PrepareContext(ctx, s.q(`INSERT INTO results (key, value, created) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`))
		if err != nil {
			return err
		}
		defer st.Close()
		t := now()
		for _, r := range rs {
			res, err := st.ExecContext(ctx, r.Key, string(r.Value), t)
			if err != nil {
				return fmt.Errorf("result %s: %v", r.Key, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, err
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

// inTx runs f in a transaction and commits it.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("%v", err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return s.errorf("%v", err)
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("%v", err)
	}
	return nil
}
