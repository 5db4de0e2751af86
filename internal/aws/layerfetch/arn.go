package layerfetch

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ARN is a parsed layer version ARN,
// arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION.
type ARN struct {
	Partition string // aws, aws-cn or aws-us-gov
	Region    string // where Lambda serves the layer version, and only there
	Account   string // 12 digits: the account that published the layer
	Name      string
	Version   int64 // 1 or more
}

// ARNError reports a string that is not a layer version ARN, and why.
type ARNError struct {
	ARN    string
	Reason string
}

func (e *ARNError) Error() string {
	return fmt.Sprintf("malformed layer version ARN %q: %s", e.ARN, e.Reason)
}

// partitionRegion gives, for each partition layerkit reads layers in, the
// region prefix that belongs to it ("" for the commercial partition,
// whose regions carry neither). Other partitions (aws-iso*, aws-eusc) are
// refused: layerkit has never been run against them.
var partitionRegion = map[string]string{"aws": "", "aws-cn": "cn-", "aws-us-gov": "us-gov-"}

var (
	// regionRe follows the region part of Lambda's LayerName pattern
	// (API reference, GetLayerVersion), without the partitions refused
	// above: us-east-1, cn-north-1, us-gov-west-1.
	regionRe = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]$`)
	// nameRe is Lambda's pattern for a layer name; a name has 1 to 140
	// characters (API reference, PublishLayerVersion).
	nameRe    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,140}$`)
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	versionRe = regexp.MustCompile(`^[1-9][0-9]{0,17}$`)
)

// ParseARN parses a layer version ARN. It returns an *ARNError for
// anything else: an ARN without a version, of another service or
// partition, with a region that does not belong to its partition, an
// account that is not 12 digits, or surrounding spaces.
func ParseARN(s string) (ARN, error) {
	bad := func(format string, args ...any) (ARN, error) {
		return ARN{}, &ARNError{ARN: s, Reason: fmt.Sprintf(format, args...)}
	}
	f := strings.Split(s, ":")
	switch {
	case len(f) < 7 || f[0] != "arn":
		return bad("want arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION")
	case f[2] != "lambda" || f[5] != "layer":
		return bad("not a Lambda layer")
	case len(f) == 7:
		return bad("no version number (a layer ARN names every version; a function uses one)")
	case len(f) > 8:
		return bad("want arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION")
	}
	a := ARN{Partition: f[1], Region: f[3], Account: f[4], Name: f[6]}
	prefix, ok := partitionRegion[a.Partition]
	switch {
	case !ok:
		return bad("partition %q is not aws, aws-cn or aws-us-gov", a.Partition)
	case !regionRe.MatchString(a.Region):
		return bad("region %q is not a region name", a.Region)
	case prefix == "" && (strings.HasPrefix(a.Region, "cn-") || strings.HasPrefix(a.Region, "us-gov-")),
		prefix != "" && !strings.HasPrefix(a.Region, prefix):
		return bad("region %s is not in partition %s", a.Region, a.Partition)
	case !accountRe.MatchString(a.Account):
		return bad("account %q is not 12 digits", a.Account)
	case !nameRe.MatchString(a.Name):
		return bad("layer name %q is not 1 to 140 letters, digits, '-' or '_'", a.Name)
	case !versionRe.MatchString(f[7]):
		return bad("version %q is not a number from 1", f[7])
	}
	a.Version, _ = strconv.ParseInt(f[7], 10, 64) // at most 18 digits: fits
	return a, nil
}

// LayerARN returns the ARN of the layer, without the version: the name
// GetLayerVersion takes for a layer of any account.
func (a ARN) LayerARN() string {
	return "arn:" + a.Partition + ":lambda:" + a.Region + ":" + a.Account + ":layer:" + a.Name
}

// String returns the layer version ARN.
func (a ARN) String() string {
	return a.LayerARN() + ":" + strconv.FormatInt(a.Version, 10)
}
