package explore

import (
	"context"
	"errors"

	"github.com/nnergy/nnergy/cost"
	"github.com/nnergy/nnergy/mapping"
	"github.com/nnergy/nnergy/workload"
)

// Stopped says how far an evaluation its context stopped got.
type Stopped struct {
	// Cause is what stopped it (the context's cause: a signal, say).
	Cause error
	// Unsearched names the layers mapped by the fallback, not searched.
	Unsearched []string
	// Missing names the layers left out: there was no fallback, or it
	// failed.
	Missing []string
}

// EvaluateStopped is Evaluate for commands that report what they have when
// they are stopped. Until ctx is cancelled it is Evaluate with search. Once
// it is, the search under way ends with its best so far (a Mapper of
// ConstrainedSearch returns it), each later layer takes the mapping already
// found for its Key, if any, else fallback's (a dataflow's builder, say),
// else it is left out; stopped then says which layers are not searched or
// missing, and is nil when ctx was not cancelled. An error not due to the
// cancellation is returned as Evaluate returns it.
func EvaluateStopped(ctx context.Context, m *cost.Model, net *workload.Network, search, fallback Mapper) (res *Network, stopped *Stopped, err error) {
	c := NewCache(m, search)
	out := newNetwork(net)
	bg := context.WithoutCancel(ctx)
	for _, l := range net.Layers {
		if ctx.Err() == nil {
			ly, err := c.layer(ctx, l, search)
			if err == nil {
				out.Layers = append(out.Layers, ly)
				out.Total = out.Total.Add(ly.Result)
				continue
			}
			if ctx.Err() == nil {
				return nil, nil, err
			}
		}
		if stopped == nil {
			stopped = &Stopped{Cause: context.Cause(ctx)}
		}
		used := false
		fb := func(ctx context.Context, l *workload.Layer) (*mapping.Mapping, error) {
			used = true
			if fallback == nil {
				return nil, ErrNoFallback
			}
			return fallback(ctx, l)
		}
		ly, err := c.layer(bg, l, fb)
		if err != nil {
			stopped.Missing = append(stopped.Missing, l.Name)
			continue
		}
		if used {
			stopped.Unsearched = append(stopped.Unsearched, l.Name)
		}
		out.Layers = append(out.Layers, ly)
		out.Total = out.Total.Add(ly.Result)
	}
	return out, stopped, nil
}

// ErrNoFallback says a layer of a stopped evaluation had no mapping to
// fall back on.
var ErrNoFallback = errors.New("explore: no mapping to fall back on")
