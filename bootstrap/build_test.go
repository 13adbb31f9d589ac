package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestFunctionBuildLeavesOut pins what the shipped binary does without:
// each of these packages is linked and initialised at every cold start, and
// a Lambda function never uses them. They come back the moment an import
// reaches them from the function build, so the test names the way back.
func TestFunctionBuildLeavesOut(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), "go", "list", "-deps", "-tags", lambdaTags, ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, want := range []string{"github.com/lambdakit/lambdakit/kit/awsenv", "github.com/aws/aws-lambda-go/lambda"} {
		if !slices.Contains(deps, want) {
			t.Fatalf("the function build lacks %s: not the function", want)
		}
	}
	tests := []struct {
		pkg, why string
	}{
		{"github.com/aws/aws-sdk-go-v2/config", "the SDK's shared-config loader: a function's configuration is its environment (kit/awsenv)"},
		{"github.com/aws/aws-sdk-go-v2/service/sso", "SSO credentials, a developer's"},
		{"github.com/aws/aws-sdk-go-v2/service/ssooidc", "SSO credentials, a developer's"},
		{"github.com/aws/aws-sdk-go-v2/service/signin", "console sign-in credentials, a developer's"},
		{"github.com/aws/aws-sdk-go-v2/service/sts", "assumed-role profiles, a developer's"},
		{"encoding/xml", "STS's wire format, brought by the loader"},
		{"text/template", "the docs page's template: it calls methods by name, which keeps every exported method of every linked type"},
	}
	for _, tt := range tests {
		if slices.Contains(deps, tt.pkg) {
			t.Errorf("the function build links %s: %s", tt.pkg, tt.why)
		}
	}
	// The CDK and jsii belong to the infra module alone.
	for _, d := range deps {
		for _, cdk := range []string{"aws-cdk-go", "jsii-runtime-go", "constructs-go", "cdk-nag-go"} {
			if strings.Contains(d, cdk) {
				t.Errorf("the function build links %s: the CDK app's, not the function's", d)
			}
		}
	}
}
