package layerfetch

import (
	"context"
	"sync"
)

// flight runs one piece of work per key at a time, gives its result to
// every caller that asked for the key meanwhile, and remembers successes
// (failures are not remembered: asking again tries again). Unlike
// golang.org/x/sync/singleflight, the work runs under a context of its own,
// cancelled only when every caller waiting for it has given up: one
// caller's cancellation never fails another's wait, and the last caller to
// give up returns only once the work has stopped (a cancelled download has
// removed its temporary file by then).
type flight struct {
	mu    sync.Mutex
	done  map[string]string
	calls map[string]*call
}

type call struct {
	waiters  int
	cancel   context.CancelFunc
	finished chan struct{} // closed when val and err are set
	val      string
	err      error
}

// do returns the remembered result for key, or joins the work under way
// for it, or starts fn for it. ctx bounds only this caller's wait; fn gets
// a context carrying ctx's values that is cancelled when the last caller
// waiting for it leaves.
func (g *flight) do(ctx context.Context, key string, fn func(context.Context) (string, error)) (string, error) {
	g.mu.Lock()
	if v, ok := g.done[key]; ok {
		g.mu.Unlock()
		return v, nil
	}
	c := g.calls[key]
	if c == nil {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &call{cancel: cancel, finished: make(chan struct{})}
		if g.calls == nil {
			g.calls, g.done = map[string]*call{}, map[string]string{}
		}
		g.calls[key] = c
		go g.run(wctx, key, c, fn)
	}
	c.waiters++
	g.mu.Unlock()

	select {
	case <-c.finished:
		return c.val, c.err
	case <-ctx.Done():
	}
	g.mu.Lock()
	c.waiters--
	last := c.waiters == 0
	if last {
		c.cancel()
		// A caller that comes now starts afresh rather than joining
		// work that is being cancelled.
		if g.calls[key] == c {
			delete(g.calls, key)
		}
	}
	g.mu.Unlock()
	if last {
		<-c.finished
	}
	return "", context.Cause(ctx)
}

func (g *flight) run(ctx context.Context, key string, c *call, fn func(context.Context) (string, error)) {
	v, err := fn(ctx)
	c.cancel()
	g.mu.Lock()
	c.val, c.err = v, err
	if g.calls[key] == c {
		delete(g.calls, key)
	}
	if err == nil {
		g.done[key] = v
	}
	g.mu.Unlock()
	close(c.finished)
}

// waiting returns how many callers wait for the work under way for key.
func (g *flight) waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.calls[key]; c != nil {
		return c.waiters
	}
	return 0
}
