//go:build !unix

package zipper_test

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs here") }
