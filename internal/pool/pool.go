// Package pool runs the items of a job list on a fixed number of
// goroutines, stopping at the first error or when the context ends.
package pool

import (
	"context"
	"sync"
)

// Run calls fn(ctx, i) for i = 0, ..., n-1 on min(workers, n) goroutines
// (at least one) and waits for them. The first error fn returns cancels the
// context the others see, no further i is started, and Run returns that
// error; otherwise it returns ctx's error if ctx ended, else nil. fn must
// guard whatever it shares with the other calls.
func Run(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range max(min(workers, n), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
