// Command layerkit packages AWS Lambda code for runtime and architecture
// migrations. See `layerkit --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/layerkit/layerkit/internal/cli"
)

func main() {
	if limit, ok := memoryLimit(os.Getenv, os.ReadFile); ok {
		debug.SetMemoryLimit(limit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C cancels the work, which then cleans up and exits
		// 130; a second one ends the process at once, as the shell's default.
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, cli.NewFactory(), os.Args[1:])
	stop()
	os.Exit(code)
}
