package store

import (
	"context"

	"github.com/nnergy/nnergy/sweep"
)

// Sweep returns s as a sweep's store (sweep.Store): a sweep's points are
// items under its run key, marked done as they are written; its layer
// searches are results.
func (s *Store) Sweep() sweep.Store { return sweepStore{s} }

type sweepStore struct{ st *Store }

func (s sweepStore) Items(ctx context.Context, runKey string) (map[int][]byte, error) {
	items, err := s.st.Items(ctx, runKey)
	if err != nil {
		return nil, err
	}
	done := map[int][]byte{}
	for _, it := range items {
		if it.Done {
			done[it.Index] = it.Value
		}
	}
	return done, nil
}

func (s sweepStore) PutItem(ctx context.Context, runKey string, index int, value []byte) error {
	_, err := s.st.PutItems(ctx, Item{RunKey: runKey, Index: index, Value: value, Done: true})
	return err
}

func (s sweepStore) Result(ctx context.Context, key string) ([]byte, bool, error) {
	return s.st.Result(ctx, key)
}

func (s sweepStore) PutResult(ctx context.Context, key string, value []byte) error {
	_, err := s.st.PutResults(ctx, Result{Key: key, Value: value})
	return err
}
