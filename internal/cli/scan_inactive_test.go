package cli

import (
	"bytes"
	"testing"

	"github.com/layerkit/layerkit/internal/campaign"
)

// TestScanInactiveTable: the --inactive table gives each function's
// state, Lambda's reason and what to do.
func TestScanInactiveTable(t *testing.T) {
	var out, errOut bytes.Buffer
	opts := &ScanOptions{IO: IOStreams{Out: &out, ErrOut: &errOut}, AWS: AWSOptions{Regions: []string{"eu-west-1"}}, Inactive: true}
	fs := []campaign.Function{
		{Region: "eu-west-1", Name: "monthly", PackageType: "Image", State: "Inactive", StateReasonCode: "Idle", StateReason: "The function is idle"},
		{Region: "eu-west-1", Name: "report", PackageType: "Image", State: "Failed", StateReasonCode: "ImageDeleted", StateReason: "The image was deleted"},
		{Region: "eu-west-1", Name: "vpc", PackageType: "Zip", State: "Failed", StateReasonCode: "SubnetOutOfIPAddresses"},
	}
	if err := writeScan(opts, fs); err != nil {
		t.Fatal(err)
	}
	want := "REGION     FUNCTION  TYPE   STATE                            REASON                 WHAT TO DO\n" +
		"eu-west-1  monthly   Image  Inactive (Idle)                  The function is idle   " + campaign.Fix("Inactive", "Idle") + "\n" +
		"eu-west-1  report    Image  Failed (ImageDeleted)            The image was deleted  " + campaign.Fix("Failed", "ImageDeleted") + "\n" +
		"eu-west-1  vpc       Zip    Failed (SubnetOutOfIPAddresses)  -                      -\n"
	if out.String() != want {
		t.Errorf("stdout\n%s\nwant\n%s", out.String(), want)
	}
	if errOut.String() != "3 functions Inactive or Failed in eu-west-1\n" {
		t.Errorf("stderr %q", errOut.String())
	}
}
