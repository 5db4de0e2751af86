package image

import "testing"

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
