package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/layers"
)

// setArch changes the architecture: Lambda takes it only with code, so the
// function's own code is downloaded, checked against its CodeSha256 and
// uploaded again unchanged: in the request when it fits Lambda's
// direct-upload limit (layers.FitsDirectUpload), otherwise through the
// Stage bucket.
func (a *applier) setArch(ctx context.Context, api ApplyAPI, region, arn string, fc *lambda.GetFunctionOutput, arch layers.Arch) error {
	if fc.Code == nil || aws.ToString(fc.Code.Location) == "" {
		return errors.New("Lambda gave no address for the function's code, so it cannot be uploaded again for the new architecture")
	}
	if size := fc.Configuration.CodeSize; !layers.FitsDirectUpload(size) && a.o.Stage == nil {
		return errUnstaged(size) // known before downloading it
	}
	code, err := a.o.Fetch(ctx, aws.ToString(fc.Code.Location), layers.MaxUnzippedBytes)
	if err != nil {
		return fmt.Errorf("downloading the function's code to change its architecture: %w", err)
	}
	sum := sha256.Sum256(code)
	if got, want := base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(fc.Configuration.CodeSha256); got != want {
		return fmt.Errorf("the downloaded code has SHA-256 %s, not the function's %s: not uploaded", got, want)
	}
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(arn), Architectures: []ltypes.Architecture{ltypes.Architecture(arch)}}
	if layers.FitsDirectUpload(int64(len(code))) {
		in.ZipFile = code
	} else {
		if a.o.Stage == nil {
			return errUnstaged(int64(len(code)))
		}
		bucket, key, err := a.o.Stage.put(ctx, region, aws.ToString(fc.Configuration.FunctionName), code, sum)
		if err != nil {
			return err
		}
		// Lambda copies the code when the update starts; the staged
		// copy goes once the update is over, whatever its outcome. A
		// failed delete leaves a harmless object under the prefix.
		defer a.o.Stage.remove(context.WithoutCancel(ctx), region, bucket, key)
		in.S3Bucket, in.S3Key = aws.String(bucket), aws.String(key)
	}
	err = a.call(ctx, api, arn, func() error {
		_, err := api.UpdateFunctionCode(ctx, in)
		return err
	})
	if err != nil {
		return fmt.Errorf("UpdateFunctionCode to %s: %w", arch, err)
	}
	return a.waitUpdated(ctx, api, arn)
}

func errUnstaged(size int64) error {
	return fmt.Errorf("the code is %d bytes and Lambda takes code in the request only under %d bytes: apply again with --stage-bucket BUCKET (in the function's region) to pass it through S3", size, layers.MaxDirectUploadBytes)
}

// httpFetch downloads url (a presigned S3 address) with at most limit
// bytes.
func httpFetch(ctx context.Context, url string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the code's address answered %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the code is over %d bytes", limit)
	}
	return b, nil
}
