// Package ocitest makes synthetic Lambda-like base images and serves them
// from go-containerregistry's in-memory registry on loopback, for tests of
// image builds. AWS's public registry is out of reach of tests.
package ocitest
