package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestRunCallsEveryItemOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 50} {
		var calls [20]atomic.Int32
		if err := Run(context.Background(), workers, len(calls), func(_ context.Context, i int) error {
			calls[i].Add(1)
			return nil
		}); err != nil {
			t.Fatalf("workers %d: %v", workers, err)
		}
		for i := range calls {
			if n := calls[i].Load(); n != 1 {
				t.Errorf("workers %d: item %d called %d times, want once", workers, i, n)
			}
		}
	}
	if err := Run(context.Background(), 2, 0, func(context.Context, int) error { t.Error("called with no items"); return nil }); err != nil {
		t.Errorf("no items: %v", err)
	}
}

func TestRunStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int32
	err := Run(context.Background(), 1, 100, func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 3 {
			return boom
		}
		return ctx.Err()
	})
	if err != boom {
		t.Errorf("Run = %v, want the first error", err)
	}
	// The feeder may still hand over an item or two while the cancel
	// lands, but not the rest of the list.
	if n := started.Load(); n == 100 {
		t.Errorf("all %d items started despite the error at item 3", n)
	}
}

func TestRunEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	err := Run(ctx, 2, 10, func(context.Context, int) error { calls.Add(1); return nil })
	if err != context.Canceled {
		t.Errorf("Run on an ended context = %v, want context.Canceled", err)
	}
	if n := calls.Load(); n == 10 {
		t.Errorf("all %d items run on an ended context", n)
	}
}
