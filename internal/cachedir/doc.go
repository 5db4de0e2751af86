// Package cachedir says where layerkit keeps what it caches for every
// project on the machine (downloaded layers, compressed files), as Go's
// build cache does, and how big the build cache may grow. It only reads
// the environment: it neither makes nor checks folders.
package cachedir
