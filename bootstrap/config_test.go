package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{
			name: "local defaults",
			env:  map[string]string{},
			check: func(t *testing.T, c Config) {
				if c.TableName != "lambdakit" || c.Region != "us-east-1" || c.Port != 8080 || c.LogLevel != "info" ||
					c.RequestBudget != 10*time.Second || c.InLambda || string(c.CursorSecret) != devCursorSecret ||
					c.Metrics.Namespace != "lambdakit" || c.Metrics.Service != "lambdakit" || c.LocalCaller != defaultLocalCaller {
					t.Errorf("defaults: %+v", c)
				}
			},
		},
		{
			name: "everything set",
			env: map[string]string{
				"TABLE_NAME": "t-prod", "AWS_REGION": "eu-west-1", "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
				"LOG_LEVEL": "debug", "PORT": "9090", "CURSOR_SECRET": "0123456789abcdef", "REQUEST_BUDGET": "3s",
				"POWERTOOLS_METRICS_NAMESPACE": "Shop", "POWERTOOLS_SERVICE_NAME": "catalog",
				"LOCAL_CALLER": "arn:aws:iam::123456789012:user/alice",
			},
			check: func(t *testing.T, c Config) {
				if c.TableName != "t-prod" || c.Region != "eu-west-1" || c.Endpoint != "http://127.0.0.1:8000" ||
					c.LogLevel != "debug" || c.Port != 9090 || string(c.CursorSecret) != "0123456789abcdef" || c.RequestBudget != 3*time.Second ||
					c.Metrics.Namespace != "Shop" || c.Metrics.Service != "catalog" || c.LocalCaller != "arn:aws:iam::123456789012:user/alice" {
					t.Errorf("parsed: %+v", c)
				}
			},
		},
		{
			name:    "lambda needs a table and a secret",
			env:     map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"},
			wantErr: "TABLE_NAME is required",
		},
		{
			name:    "lambda refuses the development secret",
			env:     map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "TABLE_NAME": "t"},
			wantErr: "CURSOR_SECRET must be at least 16 bytes",
		},
		{name: "short secret", env: map[string]string{"CURSOR_SECRET": "short"}, wantErr: "CURSOR_SECRET"},
		{name: "bad port", env: map[string]string{"PORT": "http"}, wantErr: "PORT"},
		{name: "port out of range", env: map[string]string{"PORT": "70000"}, wantErr: "PORT"},
		{name: "bad budget", env: map[string]string{"REQUEST_BUDGET": "-1s"}, wantErr: "REQUEST_BUDGET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}
