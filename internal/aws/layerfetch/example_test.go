package layerfetch_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/layerkit/layerkit/internal/aws/layerfetch"
)

// A command fetching the layers a function lists by ARN.
func ExampleFetcher_Fetch() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := layerfetch.DefaultCacheDir()
	if err != nil {
		fmt.Println(err)
		return
	}
	f := layerfetch.New(cfg, dir)
	for _, arn := range []string{"arn:aws:lambda:us-east-1:123456789012:layer:deps:3"} {
		path, err := f.Fetch(ctx, arn)
		switch {
		case errors.Is(err, layerfetch.ErrNotFound):
			fmt.Println("gone:", arn)
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println("check", path)
		}
	}
}
