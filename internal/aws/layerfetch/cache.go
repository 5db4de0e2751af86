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
	"time"

	"github.com/layerkit/layerkit/internal/atomicfile"
)

// declared is what Lambda declares of a layer version's zip.
type declared struct {
	sum  []byte // SHA-256
	hex  string // sum in hex: the cached file's name
	size int64
}

// staleTemp is how long a temporary file in the cache folder goes
// unwritten before it is taken for one a killed process left: a download
// writes as it reads, and its presigned URL is valid for 10 minutes (API
// reference, GetLayerVersion).
const staleTemp = 24 * time.Hour

// cached returns the path of the zip in the cache folder, downloading it
// from loc first when the folder lacks it or holds something else under
// its name.
func (f *Fetcher) cached(ctx context.Context, want declared, loc string) (string, error) {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return "", fmt.Errorf("making the cache folder: %w", err)
	}
	dir, err := os.OpenRoot(f.dir)
	if err != nil {
		return "", fmt.Errorf("opening the cache folder: %w", err)
	}
	defer dir.Close()
	name := want.hex + ".zip"
	if ok, err := holds(ctx, dir, name, want); err != nil {
		return "", err
	} else if !ok {
		f.sweep.Do(func() { sweep(dir, time.Now().Add(-staleTemp)) })
		if err := f.download(ctx, dir, name, want, loc); err != nil {
			return "", err
		}
	}
	return filepath.Join(f.dir, name), nil
}

// holds reports whether name in dir is a regular file of the zip's size
// and SHA-256. A missing file, a symlink or another kind of file, or one
// of another size or hash is not an error: it is to be replaced. Hashing
// a zip of MaxZipSize takes a fraction of a second, once per Fetcher; it
// stops when ctx is done.
func holds(ctx context.Context, dir *os.Root, name string, want declared) (bool, error) {
	fi, err := dir.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("reading the cache: %w", err)
	}
	if !fi.Mode().IsRegular() || fi.Size() != want.size {
		return false, nil
	}
	r, err := dir.Open(name)
	if err != nil {
		return false, fmt.Errorf("reading the cache: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, r}); err != nil {
		return false, fmt.Errorf("reading %s: %w", r.Name(), err)
	}
	return bytes.Equal(h.Sum(nil), want.sum), nil
}

// sweep removes the temporary files in dir (named as atomicfile.IsTemp
// recognises) not written to since before. It is best effort: a file it
// cannot remove stays.
func sweep(dir *os.Root, before time.Time) {
	d, err := dir.Open(".")
	if err != nil {
		return
	}
	es, _ := d.ReadDir(-1)
	d.Close()
	for _, e := range es {
		if !atomicfile.IsTemp(e.Name()) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(before) {
			dir.Remove(e.Name())
		}
	}
}

// download gets the zip from loc into a temporary file in dir, hashing it
// as it is written, and renames it to name when it is the zip Lambda
// declared. On any failure, cancellation included, the temporary file is
// removed.
func (f *Fetcher) download(ctx context.Context, dir *os.Root, name string, want declared, loc string) (err error) {
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

	tmp, tmpName, err := atomicfile.CreateTemp(dir, name)
	if err != nil {
		return fmt.Errorf("writing to the cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			dir.Remove(tmpName)
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
	// The rename replaces a symlink at name rather than following it.
	if err = dir.Rename(tmpName, name); err != nil {
		// Windows refuses to replace a file another process has open;
		// when that file is this very zip, the work is done.
		if ok, _ := holds(ctx, dir, name, want); ok {
			dir.Remove(tmpName)
			return nil
		}
		return fmt.Errorf("writing %s: %w", filepath.Join(f.dir, name), err)
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
