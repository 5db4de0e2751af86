package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/layers"
)

// setArch changes the architecture: Lambda takes it only with code, so the
// function's own code is downloaded into a temporary file, checked against
// its CodeSha256 and uploaded again unchanged: in the request when it fits
// Lambda's direct-upload limit (layers.FitsDirectUpload), otherwise
// streamed from the file through the Stage bucket. No more than the
// direct-upload limit is held in memory.
func (a *applier) setArch(ctx context.Context, api ApplyAPI, region, arn string, fc *lambda.GetFunctionOutput, arch layers.Arch) error {
	if fc.Code == nil || aws.ToString(fc.Code.Location) == "" {
		return errors.New("Lambda gave no address for the function's code, so it cannot be uploaded again for the new architecture")
	}
	if size := fc.Configuration.CodeSize; !layers.FitsDirectUpload(size) && a.o.Stage == nil {
		return errUnstaged(size) // known before downloading it
	}
	code, err := a.download(ctx, aws.ToString(fc.Code.Location), aws.ToString(fc.Configuration.CodeSha256))
	if err != nil {
		return fmt.Errorf("downloading the function's code to change its architecture: %w", err)
	}
	defer code.remove()
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(arn), Architectures: []ltypes.Architecture{ltypes.Architecture(arch)}}
	if layers.FitsDirectUpload(code.size) {
		if in.ZipFile, err = code.bytes(); err != nil {
			return fmt.Errorf("reading the function's code back from %s: %w", code.f.Name(), err)
		}
		code.remove() // the request holds it now
	} else {
		if a.o.Stage == nil {
			return errUnstaged(code.size)
		}
		bucket, key, err := a.o.Stage.put(ctx, region, aws.ToString(fc.Configuration.FunctionName), code.reader(), code.size, code.sum)
		if err != nil {
			return err
		}
		code.remove() // S3 holds it now
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

// errUnstaged says why code of size bytes needs a staging bucket.
func errUnstaged(size int64) error {
	return fmt.Errorf("the code is %d bytes and Lambda takes code in the request only under %d bytes: apply again with --stage-bucket BUCKET (in the function's region) to pass it through S3", size, layers.MaxDirectUploadBytes)
}

// localCode is a function's code downloaded into a temporary file.
type localCode struct {
	f    *os.File
	size int64
	sum  [sha256.Size]byte
}

// download copies the code at url into a new file in o.TempDir, hashing it
// on the way, and checks it against want, the function's CodeSha256 (the
// standard base64 of the SHA-256). The caller calls remove; on error no
// file is left.
func (a *applier) download(ctx context.Context, url, want string) (_ *localCode, err error) {
	body, err := a.o.Fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	f, err := os.CreateTemp(a.o.TempDir, "layerkit-code-*.zip")
	if err != nil {
		return nil, fmt.Errorf("creating a file to hold the code: %w", err)
	}
	c := &localCode{f: f}
	defer func() {
		if err != nil {
			c.remove()
		}
	}()
	// The code counts towards Lambda's unzipped limit, so its zip
	// cannot be bigger.
	const limit = layers.MaxUnzippedBytes
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("copying it to %s: %w", f.Name(), err)
	}
	if n > limit {
		return nil, fmt.Errorf("the code is over %d bytes", limit)
	}
	c.size = n
	h.Sum(c.sum[:0])
	if got := base64.StdEncoding.EncodeToString(c.sum[:]); got != want {
		return nil, fmt.Errorf("the downloaded code has SHA-256 %s, not the function's %s: not uploaded", got, want)
	}
	return c, nil
}

// reader reads the whole code from its start, independently of other
// readers of the file.
func (c *localCode) reader() io.ReadSeeker { return io.NewSectionReader(c.f, 0, c.size) }

// bytes reads the whole code into memory.
func (c *localCode) bytes() ([]byte, error) {
	b := make([]byte, c.size)
	if _, err := io.ReadFull(c.reader(), b); err != nil {
		return nil, err
	}
	return b, nil
}

// remove closes and deletes the file; calling it again does nothing. A
// file that cannot be deleted is left in the temporary folder.
func (c *localCode) remove() {
	if c.f == nil {
		return
	}
	c.f.Close()
	os.Remove(c.f.Name())
	c.f = nil
}

// httpFetch opens url (a presigned S3 address) for reading; the caller
// closes the body.
func httpFetch(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("the code's address answered %s", resp.Status)
	}
	return resp.Body, nil
}
