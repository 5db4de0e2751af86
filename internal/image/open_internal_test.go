package image

import (
	"context"
	"errors"
	"testing"

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
