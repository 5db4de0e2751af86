package layers

// Lambda's limits, in bytes where they are sizes. Lambda's "MB" is 1,048,576
// bytes. Sources: the Lambda quotas page of the AWS Lambda Developer Guide
// and the error messages the service returns when a limit is broken.
const (
	// MaxUnzippedBytes bounds the unzipped size of a function's code plus all
	// of its layers: the total must be strictly less ("Unzipped size must be
	// smaller than 262144000 bytes").
	MaxUnzippedBytes = 262_144_000

	// MaxDirectUploadBytes bounds a zip sent in the request (ZipFile): it
	// must be strictly smaller; bigger packages go through S3 ("Zipped size
	// must be smaller than 52428800 bytes").
	MaxDirectUploadBytes = 52_428_800

	// MaxRequestBytes is the largest whole request body Lambda accepts
	// ("Request must be smaller than 70167211 bytes").
	MaxRequestBytes = 70_167_211

	// MaxLayers is how many layers one function may attach ("Cannot
	// reference more than 5 layers.").
	MaxLayers = 5

	// MaxImageBytes is the uncompressed size of a container image, all of
	// its image layers counted (10 GB, read as GiB).
	MaxImageBytes = 10 << 30

	// MaxEnvironmentBytes bounds the compact JSON of a function's
	// environment variables.
	MaxEnvironmentBytes = 4096

	// MaxCompatibleRuntimes and MaxCompatibleArchitectures bound a layer
	// version's metadata in PublishLayerVersion.
	MaxCompatibleRuntimes      = 15
	MaxCompatibleArchitectures = 2
)

// FitsDirectUpload reports whether a zip of n bytes can go in the request
// (ZipFile) rather than through S3: Lambda takes only zips strictly smaller
// than MaxDirectUploadBytes.
func FitsDirectUpload(n int64) bool { return n < MaxDirectUploadBytes }
