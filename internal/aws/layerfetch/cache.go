package layerfetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// declared is what Lambda declares of a layer version's zip.
type declared struct {
	sum  []byte // SHA-256
	hex  string // sum in hex: the cached file's name
	size int64
}

// cached returns the path of the zip in the cache folder, downloading it
// from loc first when the folder lacks it or holds something else under
// its name.
func (f *Fetcher) cached(ctx context.Context, want declared, loc string) (string, error) {
	dst := filepath.Join(f.dir, want.hex+".zip")
	ok, err := holds(ctx, dst, want)
	if err != nil || ok {
		return dst, err
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return "", fmt.Errorf("making the cache folder: %w", err)
	}
	if err := f.download(ctx, want, loc, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// holds reports whether path is a regular file of the zip's size and
// SHA-256. A missing file, a symlink or another kind of file, or one of
// another size or hash is not an error: it is to be replaced. Hashing a
// zip of MaxZipSize takes a fraction of a second, once per Fetcher; it
// stops when ctx is done.
func holds(ctx context.Context, path string, want declared) (bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading the cache: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != want.size {
		return false, nil
	}
	r, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("reading the cache: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, r}); err != nil {
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	return bytes.Equal(h.Sum(nil), want.sum), nil
}

// download gets the zip from loc into a temporary file beside dst,
// hashing it as it is written, and renames it to dst when it is the zip
// Lambda declared. On any failure, cancellation included, the temporary
// file is removed.
func (f *Fetcher) download(ctx context.Context, want declared, loc, dst string) (err error) {
	where := redact(loc)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil || (req.URL.Scheme != "https" && req.URL.Scheme != "http") {
		return fmt.Errorf("the location Lambda gave, %s, is not an http(s) URL", where)
	}
	// The zip as stored: a Content-Encoding the transport undid would
	// change what is hashed.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := f.http.Do(req)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", where, scrub(err, where))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("downloading %s: %s", where, resp.Status)
	}
	if resp.ContentLength > want.size {
		return fmt.Errorf("downloading %s: %w", where, &SizeError{Declared: want.size, Got: resp.ContentLength})
	}

	tmp, err := os.CreateTemp(f.dir, "."+want.hex+"-*.tmp")
	if err != nil {
		return fmt.Errorf("writing to the cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, want.size+1))
	if err != nil {
		return fmt.Errorf("downloading %s: %w", where, scrub(err, where))
	}
	if n != want.size {
		return fmt.Errorf("downloading %s: %w", where, &SizeError{Declared: want.size, Got: n})
	}
	if got := h.Sum(nil); !bytes.Equal(got, want.sum) {
		enc := base64.StdEncoding.EncodeToString
		return fmt.Errorf("downloading %s: %w", where, &DigestError{Want: enc(want.sum), Got: enc(got)})
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		// Windows refuses to replace a file another process has open;
		// when that file is this very zip, the work is done.
		if ok, _ := holds(ctx, dst, want); ok {
			os.Remove(tmp.Name())
			return nil
		}
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}

// ctxReader reads r until ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// redact returns a presigned URL for messages without what makes it a
// credential: its query (signature, session token), user and fragment.
func redact(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "(an unreadable URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// scrub replaces the URL net/http puts in its errors by the redacted one.
func scrub(err error, where string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = where
	}
	return err
}
