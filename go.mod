module github.com/layerkit/layerkit

go 1.26.0

require (
	github.com/klauspost/compress v1.20.3
	golang.org/x/sync v0.24.0
)
