package layers_test

import (
	"fmt"
	"time"

	"github.com/layerkit/layerkit/layers"
)

func ExampleParseArch() {
	for _, in := range []string{"arm64", "aarch64", "amd64"} {
		a, _ := layers.ParseArch(in)
		fmt.Printf("%s -> %s (e_machine %d)\n", in, a, a.ELFMachine())
	}
	// Output:
	// arm64 -> arm64 (e_machine 183)
	// aarch64 -> arm64 (e_machine 183)
	// amd64 -> x86_64 (e_machine 62)
}

func ExampleLookupRuntime() {
	r, _ := layers.LookupRuntime("python3.9")
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	days, _ := r.BlockUpdate.DaysFrom(now)
	fmt.Println(r.OS.Name(), "glibc", r.Glibc)
	fmt.Println("deprecated:", r.Deprecated(now), "successor:", r.Successor)
	fmt.Println("updates blocked in", days, "days")
	// Output:
	// Amazon Linux 2 glibc 2.26
	// deprecated: true successor: python3.14
	// updates blocked in 102 days
}

func ExampleParseTarget() {
	t, err := layers.ParseTarget("python3.12-aarch64")
	fmt.Println(t, err)
	_, err = layers.ParseTarget("python3.7-arm64")
	fmt.Println(err)
	// Output:
	// python3.12-arm64 <nil>
	// runtime python3.7 does not run on arm64 (it runs on x86_64)
}
