package image

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	it "github.com/layerkit/layerkit/internal/image/imagetest"
)

func TestLoopbackRegistry(t *testing.T) {
	for ref, want := range map[string]bool{
		"localhost:5000/x:1":      true,
		"127.0.0.1:5000/x:1":      true,
		"127.8.9.10/x":            true,
		"[::1]:5000/x":            true,
		"example.com/x:1":         false,
		"127.0.0.1.nip.io/x":      false,
		"localhost.example.com/x": false,
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app": false,
		"x": false,
	} {
		if got := loopbackRegistry(ref); got != want {
			t.Errorf("loopbackRegistry(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestFlattenTooManyEntries(t *testing.T) {
	defer func(n int64) { maxEntries = n }(maxEntries)
	maxEntries = 3
	l := it.Layer(t, it.Entry{Name: "a"}, it.Entry{Name: "b"})
	img := it.Image(t, it.Config{Arch: "amd64"}, l, l)
	_, err := Flatten(t.Context(), &Image{Name: "x", Image: img, Declared: true},
		func(context.Context, Content) (struct{}, error) { return struct{}{}, nil })
	if !errors.Is(err, ErrTooManyEntries) {
		t.Fatalf("err = %v, want ErrTooManyEntries", err)
	}
}

func TestFlattenTooBig(t *testing.T) {
	defer func(n int64) { maxTarBytes = n }(maxTarBytes)
	maxTarBytes = 4 << 10
	l := it.Layer(t, it.Entry{Name: "zeros", Body: make([]byte, 8<<10)})
	img := it.Image(t, it.Config{Arch: "amd64"}, l)
	_, err := Flatten(t.Context(), &Image{Name: "x", Image: img, Declared: true},
		func(context.Context, Content) (struct{}, error) { return struct{}{}, nil })
	if !errors.Is(err, ErrTooBig) {
		t.Fatalf("err = %v, want ErrTooBig", err)
	}
}

// TestFlattenTooBigAfterTar inflates past the limit after the tar's end,
// where only the digest check reads.
func TestFlattenTooBigAfterTar(t *testing.T) {
	defer func(n int64) { maxTarBytes = n }(maxTarBytes)
	maxTarBytes = 16 << 10
	b := append(it.Tar(t, it.Entry{Name: "f", Body: []byte("x")}), make([]byte, 32<<10)...)
	img := it.Image(t, it.Config{Arch: "amd64"}, it.LayerOf(t, b, types.OCILayer))
	_, err := Flatten(t.Context(), &Image{Name: "x", Image: img, Declared: true},
		func(context.Context, Content) (struct{}, error) { return struct{}{}, nil })
	if !errors.Is(err, ErrTooBig) {
		t.Fatalf("err = %v, want ErrTooBig", err)
	}
}
