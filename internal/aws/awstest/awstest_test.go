package awstest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// A server that creates the function but drops the connection before
// answering: the SDK retries, the retry is refused as a conflict, and
// CreateFunction reads the function back and carries on.
func TestCreateFunctionDroppedAnswer(t *testing.T) {
	var creates, gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/2015-03-31/functions":
			if creates.Add(1) == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				conn.Close()
				return
			}
			w.Header().Set("X-Amzn-Errortype", "ResourceConflictException")
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"Type":"User","message":"Function already exist: svc-04"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/2015-03-31/functions/svc-04":
			gets.Add(1)
			w.Write([]byte(`{"Configuration":{"FunctionName":"svc-04"}}`))
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	lc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	CreateFunction(t, lc, &lambda.CreateFunctionInput{FunctionName: aws.String("svc-04"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Code: &ltypes.FunctionCode{ZipFile: []byte("PK")}})
	if creates.Load() != 2 || gets.Load() != 1 {
		t.Fatalf("%d creates and %d reads; want the retry and one read back", creates.Load(), gets.Load())
	}
}

func TestLoopback(t *testing.T) {
	for ep, want := range map[string]bool{"http://127.0.0.1:5000": true, "http://localhost:5000": true, "http://[::1]:5000": true,
		"http://localhost.example.com": false, "http://127.0.0.1.example.com": false, "https://127.0.0.1": false, "http://10.0.0.1": false} {
		if got := loopback(ep); got != want {
			t.Errorf("loopback(%q) = %v", ep, got)
		}
	}
}
