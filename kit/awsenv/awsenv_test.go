package awsenv_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit/awsenv"
)

// env is a getenv over a map.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// lambdaEnv is what Lambda gives every function, plus extra.
func lambdaEnv(extra map[string]string) map[string]string {
	vars := map[string]string{
		"AWS_REGION":            "eu-west-1",
		"AWS_ACCESS_KEY_ID":     "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN":     "token",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

func TestConfigRejects(t *testing.T) {
	tests := []struct {
		name    string
		vars    map[string]string
		wantErr []string
	}{
		{"nothing set", map[string]string{}, []string{"AWS_REGION", "AWS_ACCESS_KEY_ID"}},
		{"no secret", map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID"}, []string{"AWS_SECRET_ACCESS_KEY"}},
		{"bad fips flag", lambdaEnv(map[string]string{"AWS_USE_FIPS_ENDPOINT": "yes"}), []string{`AWS_USE_FIPS_ENDPOINT="yes"`}},
		{"bad ignore flag", lambdaEnv(map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "1x"}), []string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"}},
		{"missing CA bundle", lambdaEnv(map[string]string{"AWS_CA_BUNDLE": "/no/such/bundle.pem"}), []string{"AWS_CA_BUNDLE"}},
		{"CA bundle without PEM", lambdaEnv(map[string]string{"AWS_CA_BUNDLE": "awsenv_test.go"}), []string{"holds no PEM certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsenv.Config(env(tt.vars))
			if err == nil {
				t.Fatal("Config succeeded")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to name %s", err, want)
				}
			}
		})
	}
}

func TestConfigReadsRegionAndCredentials(t *testing.T) {
	tests := []struct {
		name       string
		vars       map[string]string
		wantRegion string
		wantToken  string
	}{
		{"lambda", lambdaEnv(nil), "eu-west-1", "token"},
		{"default region", map[string]string{"AWS_DEFAULT_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "us-west-2", ""},
		{"region wins", lambdaEnv(map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}), "eu-west-1", "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsenv.Config(env(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.wantRegion {
				t.Errorf("region = %q, want %q", cfg.Region, tt.wantRegion)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if creds.AccessKeyID != tt.vars["AWS_ACCESS_KEY_ID"] || creds.SessionToken != tt.wantToken {
				t.Errorf("credentials = %q/%q, want %q/%q", creds.AccessKeyID, creds.SessionToken, tt.vars["AWS_ACCESS_KEY_ID"], tt.wantToken)
			}
		})
	}
}

// recorder is an HTTP server standing in for DynamoDB: it records which
// server each call reached and how it was signed, and answers an empty
// GetItem.
type recorder struct {
	mu    sync.Mutex
	hosts []string
	auth  []string
}

func (r *recorder) server(t *testing.T, name string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hosts = append(r.hosts, name)
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestClientsReachTheConfiguredEndpoint makes real DynamoDB calls with a
// client built from Config, to check that the SDK finds the endpoint
// overrides where it looks for them and signs with the environment's keys.
func TestClientsReachTheConfiguredEndpoint(t *testing.T) {
	rec := &recorder{}
	service, global := rec.server(t, "service"), rec.server(t, "global")
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"per service", lambdaEnv(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": service.URL}), "service"},
		{"per service beats global", lambdaEnv(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": service.URL, "AWS_ENDPOINT_URL": global.URL}), "service"},
		{"global", lambdaEnv(map[string]string{"AWS_ENDPOINT_URL": global.URL}), "global"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsenv.Config(env(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
			_, err = client.GetItem(context.Background(), &dynamodb.GetItemInput{
				TableName: aws.String("t"),
				Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}},
			})
			if err != nil {
				t.Fatalf("GetItem: %v", err)
			}
			rec.mu.Lock()
			host, auth := rec.hosts[len(rec.hosts)-1], rec.auth[len(rec.auth)-1]
			rec.mu.Unlock()
			if host != tt.want {
				t.Errorf("call reached %s, want %s", host, tt.want)
			}
			if !strings.Contains(auth, "Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-1/dynamodb/") {
				t.Errorf("Authorization = %q, want a SigV4 signature by AKIDEXAMPLE for eu-west-1", auth)
			}
		})
	}
}

func TestEndpointFlags(t *testing.T) {
	tests := []struct {
		name         string
		vars         map[string]string
		wantFIPS     aws.FIPSEndpointState
		wantDual     aws.DualStackEndpointState
		wantEndpoint string
	}{
		{"unset", lambdaEnv(nil), aws.FIPSEndpointStateUnset, aws.DualStackEndpointStateUnset, ""},
		{"on", lambdaEnv(map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"}), aws.FIPSEndpointStateEnabled, aws.DualStackEndpointStateEnabled, ""},
		{"off", lambdaEnv(map[string]string{"AWS_USE_FIPS_ENDPOINT": "false", "AWS_USE_DUALSTACK_ENDPOINT": "false"}), aws.FIPSEndpointStateDisabled, aws.DualStackEndpointStateDisabled, ""},
		{"endpoints ignored", lambdaEnv(map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL_DYNAMODB": "http://x", "AWS_ENDPOINT_URL": "http://y"}), aws.FIPSEndpointStateUnset, aws.DualStackEndpointStateUnset, ""},
		{"endpoint kept", lambdaEnv(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://x"}), aws.FIPSEndpointStateUnset, aws.DualStackEndpointStateUnset, "http://x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsenv.Config(env(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			o := dynamodb.NewFromConfig(cfg).Options()
			if o.EndpointOptions.UseFIPSEndpoint != tt.wantFIPS || o.EndpointOptions.UseDualStackEndpoint != tt.wantDual {
				t.Errorf("fips, dual-stack = %v, %v; want %v, %v", o.EndpointOptions.UseFIPSEndpoint, o.EndpointOptions.UseDualStackEndpoint, tt.wantFIPS, tt.wantDual)
			}
			if got := aws.ToString(o.BaseEndpoint); got != tt.wantEndpoint {
				t.Errorf("base endpoint = %q, want %q", got, tt.wantEndpoint)
			}
		})
	}
}

// TestCABundle calls a TLS endpoint whose certificate only the bundle
// vouches for: trusted with AWS_CA_BUNDLE, refused without it.
func TestCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		bundle  string
		trusted bool
	}{
		{"with the bundle", bundle, true},
		{"without", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsenv.Config(env(lambdaEnv(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": srv.URL, "AWS_CA_BUNDLE": tt.bundle})))
			if err != nil {
				t.Fatal(err)
			}
			client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
			_, err = client.GetItem(context.Background(), &dynamodb.GetItemInput{
				TableName: aws.String("t"),
				Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}},
			})
			var unknown x509.UnknownAuthorityError
			switch {
			case tt.trusted && err != nil:
				t.Errorf("GetItem over TLS with the bundle: %v", err)
			case !tt.trusted && !errors.As(err, &unknown):
				t.Errorf("GetItem without the bundle = %v, want an unknown authority error", err)
			}
		})
	}
}
