// Package awsenv configures AWS SDK clients from environment variables
// alone, which is all a Lambda function is given: its region, its role's
// credentials and any endpoint override.
//
// The SDK's config.LoadDefaultConfig does more: it reads shared config and
// credential files and links the SSO, SSO-OIDC, sign-in and STS clients and
// encoding/xml to serve profiles a function never has. In a Lambda binary
// that is about 2 MB and package initialisation paid on every cold start.
// Config reads the same variables the SDK's environment source does, for
// what a function needs, and nothing else.
package awsenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config returns the configuration the environment describes:
//
//   - the region, from AWS_REGION, else AWS_DEFAULT_REGION;
//   - static credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//     AWS_SESSION_TOKEN, which Lambda sets from the function's role;
//   - endpoint overrides, as the SDK reads them: AWS_ENDPOINT_URL_<SERVICE>
//     (the client's SDK id in upper case, spaces as underscores, so
//     AWS_ENDPOINT_URL_DYNAMODB), else AWS_ENDPOINT_URL, both ignored when
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true;
//   - AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT;
//   - AWS_CA_BUNDLE, a PEM file of the certificate authorities to trust
//     instead of the system's, as the SDK reads it.
//
// A missing region or key is an error, so a misconfigured function fails
// at cold start rather than on its first call.
func Config(getenv func(string) string) (aws.Config, error) {
	src := source{getenv: getenv}
	var errs []error
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		errs = append(errs, errors.New("AWS_REGION is not set"))
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		errs = append(errs, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set"))
	}
	for _, name := range []string{envIgnoreEndpoints, envFIPS, envDualStack} {
		if _, _, err := src.flag(name); err != nil {
			errs = append(errs, err)
		}
	}
	var roots *x509.CertPool
	if path := getenv("AWS_CA_BUNDLE"); path != "" {
		var err error
		if roots, err = caBundle(path); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return aws.Config{}, fmt.Errorf("awsenv: %w", err)
	}
	cfg := aws.Config{
		Region:        region,
		Credentials:   credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN")),
		ConfigSources: []any{src},
	}
	if roots != nil {
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.RootCAs = roots
		})
	}
	if ignore, _, _ := src.flag(envIgnoreEndpoints); !ignore {
		if u := getenv("AWS_ENDPOINT_URL"); u != "" {
			cfg.BaseEndpoint = aws.String(u)
		}
	}
	return cfg, nil
}

// caBundle reads the PEM file at path into a pool of its certificates.
func caBundle(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("AWS_CA_BUNDLE %s holds no PEM certificate", path)
	}
	return pool, nil
}

// The variables read as booleans.
const (
	envIgnoreEndpoints = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	envFIPS            = "AWS_USE_FIPS_ENDPOINT"
	envDualStack       = "AWS_USE_DUALSTACK_ENDPOINT"
)

// source answers the SDK's per-client questions from the environment.
// Clients look for these methods on the values in aws.Config.ConfigSources
// when they are created, as they do on the default loader's sources.
type source struct {
	getenv func(string) string
}

// flag reads name as a boolean; found is false when it is unset.
func (s source) flag(name string) (value, found bool, err error) {
	v := s.getenv(name)
	if v == "" {
		return false, false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, false, fmt.Errorf("%s=%q is not true or false", name, v)
	}
	return b, true, nil
}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for the client
// whose SDK id is sdkID.
func (s source) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	name := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	u := s.getenv(name)
	return u, u != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s source) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.flag(envIgnoreEndpoints)
}

// GetUseFIPSEndpoint reports AWS_USE_FIPS_ENDPOINT.
func (s source) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	on, found, err := s.flag(envFIPS)
	if !found || err != nil {
		return aws.FIPSEndpointStateUnset, false, err
	}
	if on {
		return aws.FIPSEndpointStateEnabled, true, nil
	}
	return aws.FIPSEndpointStateDisabled, true, nil
}

// GetUseDualStackEndpoint reports AWS_USE_DUALSTACK_ENDPOINT.
func (s source) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	on, found, err := s.flag(envDualStack)
	if !found || err != nil {
		return aws.DualStackEndpointStateUnset, false, err
	}
	if on {
		return aws.DualStackEndpointStateEnabled, true, nil
	}
	return aws.DualStackEndpointStateDisabled, true, nil
}
