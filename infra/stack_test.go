package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/jsii-runtime-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
)

func TestTableIsBuiltFromLayout(t *testing.T) {
	f := synth(t, ProdStage)
	_, table := f.only(t, "AWS::DynamoDB::Table")
	got := props(table)

	// The service's own CreateTable input, from the same dynamo.Layout: the
	// deployed table must declare the same keys, indexes (the listing
	// index and every pattern index) and attributes.
	in := dynamo.Layout().CreateTableInput("any")
	if len(in.GlobalSecondaryIndexes) != 1+len(dynamo.Layout().Patterns) {
		t.Fatalf("CreateTableInput has %d indexes; the layout's listing and pattern indexes are %d", len(in.GlobalSecondaryIndexes), 1+len(dynamo.Layout().Patterns))
	}
	keys := func(ks []types.KeySchemaElement) []any {
		var out []any
		for _, k := range ks {
			out = append(out, map[string]any{"AttributeName": *k.AttributeName, "KeyType": string(k.KeyType)})
		}
		return out
	}
	var attrs []string
	for _, a := range in.AttributeDefinitions {
		attrs = append(attrs, *a.AttributeName+":"+string(a.AttributeType))
	}
	var gotAttrs []string
	for _, a := range got["AttributeDefinitions"].([]any) {
		m := a.(map[string]any)
		gotAttrs = append(gotAttrs, fmt.Sprint(m["AttributeName"], ":", m["AttributeType"]))
	}
	if !slices.Equal(sorted(gotAttrs), sorted(attrs)) {
		t.Errorf("AttributeDefinitions = %v, want %v", gotAttrs, attrs)
	}
	if want := keys(in.KeySchema); !sameJSON(got["KeySchema"], want) {
		t.Errorf("KeySchema = %s, want %s", asJSON(got["KeySchema"]), asJSON(want))
	}
	var wantGSI []any
	for _, gsi := range in.GlobalSecondaryIndexes {
		wantGSI = append(wantGSI, map[string]any{
			"IndexName":  *gsi.IndexName,
			"KeySchema":  keys(gsi.KeySchema),
			"Projection": map[string]any{"ProjectionType": string(gsi.Projection.ProjectionType)},
		})
	}
	if !sameJSON(got["GlobalSecondaryIndexes"], wantGSI) {
		t.Errorf("GlobalSecondaryIndexes = %s, want %s", asJSON(got["GlobalSecondaryIndexes"]), asJSON(wantGSI))
	}
	wantTTL := map[string]any{"AttributeName": dynamo.Layout().TTLAttribute, "Enabled": true}
	if !sameJSON(got["TimeToLiveSpecification"], wantTTL) {
		t.Errorf("TimeToLiveSpecification = %s, want %s", asJSON(got["TimeToLiveSpecification"]), asJSON(wantTTL))
	}
	// The table name is CloudFormation's, so stages never collide.
	if hasKey(got, "TableName") {
		t.Errorf("TableName is fixed to %v, want a generated name", got["TableName"])
	}
}

func TestTableBillingAndRecovery(t *testing.T) {
	f := synth(t, ProdStage)
	check(t, "table billing and PITR", func() {
		f.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
			"BillingMode": "PAY_PER_REQUEST",
			"PointInTimeRecoverySpecification": map[string]any{
				"PointInTimeRecoveryEnabled": true,
			},
		})
	})
	// No provisioned capacity may sneak in next to on-demand billing.
	_, table := f.only(t, "AWS::DynamoDB::Table")
	if hasKey(props(table), "ProvisionedThroughput") {
		t.Errorf("table has ProvisionedThroughput %v", props(table)["ProvisionedThroughput"])
	}
}

func TestStageDecidesRetention(t *testing.T) {
	tests := []struct {
		stage      string
		policy     string
		protection bool
	}{
		{ProdStage, "Retain", true},
		{DevStage, "Delete", false},
		{"staging", "Retain", true}, // only dev is throwaway
	}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			f := synth(t, tt.stage)
			if got := *f.stack.StackName(); got != "LambdakitProducts-"+tt.stage {
				t.Errorf("stack name = %s, want LambdakitProducts-%s", got, tt.stage)
			}
			_, table := f.only(t, "AWS::DynamoDB::Table")
			if got := props(table)["DeletionProtectionEnabled"]; got != tt.protection {
				t.Errorf("DeletionProtectionEnabled = %v, want %v", got, tt.protection)
			}
			for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup", "AWS::SQS::Queue"} {
				rs := f.resources(typ)
				if len(rs) == 0 {
					t.Errorf("no %s", typ)
				}
				for id, r := range rs {
					if r["DeletionPolicy"] != tt.policy || r["UpdateReplacePolicy"] != tt.policy {
						t.Errorf("%s %s: DeletionPolicy %v, UpdateReplacePolicy %v, want %s",
							typ, id, r["DeletionPolicy"], r["UpdateReplacePolicy"], tt.policy)
					}
				}
			}
			// The bus and its archive go with the stack in every stage: a
			// retained bus's fixed name would fail the stage's next deploy.
			for _, typ := range []string{"AWS::Events::EventBus", "AWS::Events::Archive"} {
				id, r := f.only(t, typ)
				if r["DeletionPolicy"] == "Retain" || r["UpdateReplacePolicy"] == "Retain" {
					t.Errorf("%s %s is retained", typ, id)
				}
			}
			// The API's stage carries the deployment stage's name.
			_, apiStage := f.only(t, "AWS::ApiGateway::Stage")
			if got := props(apiStage)["StageName"]; got != tt.stage {
				t.Errorf("API stage name = %v, want %s", got, tt.stage)
			}
		})
	}
}

func TestFunction(t *testing.T) {
	f := synth(t, ProdStage)
	tableID, _ := f.only(t, "AWS::DynamoDB::Table")
	secretID, _ := f.only(t, "AWS::SecretsManager::Secret")
	// Two functions, the API's and the event function: no log-retention
	// or other custom-resource handlers.
	fnID, fn := f.function(t, f.stack.Function)
	eventsID, _ := f.function(t, f.stack.EventFunction)
	if got, want := sorted(slices.Collect(maps.Keys(f.resources("AWS::Lambda::Function")))), sorted([]string{fnID, eventsID}); !slices.Equal(got, want) {
		t.Errorf("functions = %v, want the API's and the event function %v", got, want)
	}
	p := props(fn)

	want := map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
		"MemorySize":    512,
		"Timeout":       10,
		"TracingConfig": map[string]any{"Mode": "Active"},
	}
	for k, v := range want {
		if !sameJSON(p[k], v) {
			t.Errorf("%s = %s, want %s", k, asJSON(p[k]), asJSON(v))
		}
	}
	if timeout, _ := p["Timeout"].(float64); timeout <= 0 || timeout >= 29 {
		t.Errorf("Timeout = %v s, want under API Gateway's 29 s", p["Timeout"])
	}
	// A zip of the asset directory: nothing to build with Docker.
	code, _ := p["Code"].(map[string]any)
	if key, _ := code["S3Key"].(string); !strings.HasSuffix(key, ".zip") {
		t.Errorf("Code = %s, want a zip file asset", asJSON(code))
	}

	env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	wantEnv := map[string]any{
		"TABLE_NAME": ref(tableID),
		"LOG_LEVEL":  "info",
		// Resolved by CloudFormation at deploy time: the key itself is in
		// neither the template nor the cloud assembly.
		"CURSOR_SECRET": map[string]any{"Fn::Join": []any{"", []any{
			"{{resolve:secretsmanager:", ref(secretID), ":SecretString:::}}",
		}}},
		// Named by the stack, not left to the service's defaults: the
		// alarms and the dashboard read these (TestAlarms, TestDashboard).
		"POWERTOOLS_METRICS_NAMESPACE": "lambdakit",
		"POWERTOOLS_SERVICE_NAME":      "lambdakit-prod",
	}
	if !sameJSON(env, wantEnv) {
		t.Errorf("environment = %s, want %s", asJSON(env), asJSON(wantEnv))
	}

	// Logs go to the stack's own log group, which has a retention.
	cfg, _ := p["LoggingConfig"].(map[string]any)
	logRef, _ := cfg["LogGroup"].(map[string]any)
	logID, _ := logRef["Ref"].(string)
	group, ok := f.resources("AWS::Logs::LogGroup")[logID]
	if !ok {
		t.Fatalf("LoggingConfig = %s, want a Ref to a log group of the stack", asJSON(cfg))
	}
	if got := props(group)["RetentionInDays"]; got != float64(30) {
		t.Errorf("function log retention = %v days, want 30", got)
	}
}

func TestCursorSecretIsGenerated(t *testing.T) {
	f := synth(t, ProdStage)
	_, secret := f.only(t, "AWS::SecretsManager::Secret")
	gen, _ := props(secret)["GenerateSecretString"].(map[string]any)
	n, _ := gen["PasswordLength"].(float64)
	if int(n) != cursorSecretLength || int(n) < cursor.MinKeyLen {
		t.Errorf("PasswordLength = %v, want %d (at least cursor.MinKeyLen %d)", gen["PasswordLength"], cursorSecretLength, cursor.MinKeyLen)
	}
	if gen["ExcludePunctuation"] != true {
		t.Errorf("ExcludePunctuation = %v, want true", gen["ExcludePunctuation"])
	}
	if hasKey(props(secret), "SecretString") {
		t.Error("secret has a literal SecretString in the template")
	}
}

// iamForAPI maps each method of dynamo.API, the repository's whole view of
// DynamoDB, to the IAM actions it needs. Transactions have no action of
// their own: IAM authorizes each item by the action of the matching
// single-item call, and a ConditionCheck item by ConditionCheckItem
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
// The kit's write transactions hold Puts, Updates, Deletes and
// ConditionChecks; its read transactions only Gets.
var iamForAPI = map[string][]string{
	"GetItem":    {"dynamodb:GetItem"},
	"PutItem":    {"dynamodb:PutItem"},
	"UpdateItem": {"dynamodb:UpdateItem"},
	"DeleteItem": {"dynamodb:DeleteItem"},
	"Query":      {"dynamodb:Query"},
	"TransactWriteItems": {
		"dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
		"dynamodb:PutItem", "dynamodb:UpdateItem",
	},
	"TransactGetItems": {"dynamodb:GetItem"},
}

func TestDynamoDBGrantIsExactlyWhatTheServiceCalls(t *testing.T) {
	f := synth(t, ProdStage)
	tableID, _ := f.only(t, "AWS::DynamoDB::Table")

	wantActions := []string{
		"dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
		"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
	}
	// The same list, derived from the calls the service can make: a new
	// DynamoDB call in kit/dynamo fails here until it is mapped and granted,
	// and a call it no longer makes fails until its grant is dropped.
	api := reflect.TypeFor[dynamo.API]()
	var fromAPI []string
	for i := range api.NumMethod() {
		name := api.Method(i).Name
		acts, ok := iamForAPI[name]
		if !ok {
			t.Errorf("dynamo.API.%s has no IAM mapping: grant its action in stack.go and map it in iamForAPI", name)
		}
		for _, a := range acts {
			if !slices.Contains(fromAPI, a) {
				fromAPI = append(fromAPI, a)
			}
		}
	}
	for name := range iamForAPI {
		if _, ok := api.MethodByName(name); !ok {
			t.Errorf("iamForAPI maps %s, which dynamo.API no longer has: drop it and any action only it needed", name)
		}
	}
	if !slices.Equal(sorted(fromAPI), wantActions) {
		t.Errorf("actions needed by dynamo.API = %v, want %v", sorted(fromAPI), wantActions)
	}

	// The API function's role; the event function's has its own
	// (TestEventFunctionRole).
	_, fn := f.function(t, f.stack.Function)
	var granted []string
	for _, s := range f.roleStatements(t, roleOf(fn)) {
		var dynamoActs []string
		for _, a := range s.actions {
			if strings.HasPrefix(strings.ToLower(a), "dynamodb:") {
				dynamoActs = append(dynamoActs, a)
			}
		}
		if len(dynamoActs) == 0 {
			continue
		}
		granted = append(granted, dynamoActs...)
		if want := tableResources(tableID, dynamo.Layout().Indexes()); !sameJSON(s.resources, want) {
			t.Errorf("%s: DynamoDB resources = %s, want the table and each of its indexes: %s", s.policy, asJSON(s.resources), asJSON(want))
		}
	}
	if !slices.Equal(sorted(granted), wantActions) {
		t.Errorf("granted DynamoDB actions = %v, want exactly %v", sorted(granted), wantActions)
	}
}

// tableResources are the DynamoDB resources of the API function's grant:
// the table and each of indexes.
func tableResources(tableID string, indexes []dynamo.Index) []any {
	out := []any{arnOf(tableID)}
	for _, idx := range indexes {
		out = append(out, map[string]any{"Fn::Join": []any{"", []any{arnOf(tableID), "/index/" + idx.Name}}})
	}
	return out
}

// upgradeStage is the stage of the fixture a table deployed without the
// pattern indexes is upgraded with: the first of them alone.
const upgradeStage = "upgrade"

// A table deployed before the pattern indexes gets them one update at a
// time (CloudFormation's limit): with PatternIndexes = 1 it has the
// listing index and the first pattern index, and the function may query
// exactly those.
func TestPatternIndexesLimitTheTable(t *testing.T) {
	f := synthWith(t, upgradeStage, upgradeStage, func(p *ServiceStackProps) { p.PatternIndexes = 1 })
	tableID, table := f.only(t, "AWS::DynamoDB::Table")
	layout := dynamo.Layout()
	want := []dynamo.Index{layout.ListIndex, layout.Patterns[0]}
	if !slices.Equal(f.stack.Indexes, want) {
		t.Errorf("stack indexes = %v, want %v", f.stack.Indexes, want)
	}
	var names []string
	for _, gsi := range props(table)["GlobalSecondaryIndexes"].([]any) {
		gsi := gsi.(map[string]any)
		names = append(names, gsi["IndexName"].(string))
		if got := gsi["Projection"]; !sameJSON(got, map[string]any{"ProjectionType": "ALL"}) {
			t.Errorf("%s projects %s, want ALL", gsi["IndexName"], asJSON(got))
		}
	}
	if wantNames := []string{layout.ListIndex.Name, layout.Patterns[0].Name}; !slices.Equal(names, wantNames) {
		t.Errorf("table indexes = %v, want %v", names, wantNames)
	}
	var attrs []string
	for _, a := range props(table)["AttributeDefinitions"].([]any) {
		attrs = append(attrs, a.(map[string]any)["AttributeName"].(string))
	}
	wantAttrs := []string{layout.Keys.PartitionKey, layout.Keys.SortKey,
		layout.ListIndex.Keys.PartitionKey, layout.ListIndex.Keys.SortKey,
		layout.Patterns[0].Keys.PartitionKey, layout.Patterns[0].Keys.SortKey}
	if !slices.Equal(sorted(attrs), sorted(wantAttrs)) {
		t.Errorf("attribute definitions = %v, want %v", attrs, wantAttrs)
	}
	_, fn := f.function(t, f.stack.Function)
	found := false
	for _, s := range f.roleStatements(t, roleOf(fn)) {
		if !slices.ContainsFunc(s.actions, func(a string) bool { return strings.HasPrefix(a, "dynamodb:") }) {
			continue
		}
		found = true
		if want := tableResources(tableID, want); !sameJSON(s.resources, want) {
			t.Errorf("%s: DynamoDB resources = %s, want %s", s.policy, asJSON(s.resources), asJSON(want))
		}
	}
	if !found {
		t.Error("the API function has no DynamoDB statement")
	}
	checkNag(t, f, upgradeStage)
}

func TestTableIndexes(t *testing.T) {
	all := dynamo.Layout().Indexes()
	patterns := len(all) - 1
	for n := 0; n <= patterns; n++ {
		want := all[:1+n]
		if n == 0 {
			want = all
		}
		if got, err := tableIndexes(n); err != nil || !slices.Equal(got, want) {
			t.Errorf("tableIndexes(%d) = %v, %v; want %v", n, got, err, want)
		}
	}
	for _, n := range []int{-1, patterns + 1} {
		want := fmt.Sprintf("patternIndexes=1 to %d", patterns)
		if got, err := tableIndexes(n); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("tableIndexes(%d) = %v, %v; want an error saying %s", n, got, err, want)
		}
	}
}

func TestContextInt(t *testing.T) {
	for _, tt := range []struct {
		name    string
		value   any
		want    int
		wantErr string
	}{
		{"unset", nil, 7, ""},
		{"from the command line", "2", 2, ""},
		{"empty", "", 7, ""},
		{"from cdk.json", 3.0, 3, ""},
		{"not a number", "two", 0, `want a whole number, got "two"`},
		{"a fraction", 1.5, 0, "want a whole number, got 1.5"},
		{"a list", []any{1}, 0, "want a whole number, got []interface {}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{}
			if tt.value != nil {
				ctx["n"] = tt.value
			}
			got, err := contextInt(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}), "n", 7)
			if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("contextInt = %d, %v; want %d, error %q", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNoWildcardPermissions(t *testing.T) {
	f := synth(t, ProdStage)
	_, api := f.function(t, f.stack.Function)
	_, events := f.function(t, f.stack.EventFunction)
	// X-Ray has no resource-level permissions, nor has DynamoDB's
	// ListStreams, which the event function's role holds for the stream;
	// nothing else may use Resource "*".
	want := map[string][]string{
		roleOf(api):    {"xray:PutTelemetryRecords", "xray:PutTraceSegments"},
		roleOf(events): {"dynamodb:ListStreams", "xray:PutTelemetryRecords", "xray:PutTraceSegments"},
	}
	got := map[string][]string{}
	for _, s := range f.statements(t) {
		for _, a := range s.actions {
			low := strings.ToLower(a)
			if strings.Contains(low, "*") || strings.Contains(low, "scan") {
				t.Errorf("%s grants %s", s.policy, a)
			}
		}
		if !slices.Contains(s.resources, any("*")) {
			continue
		}
		if len(s.roles) == 0 {
			t.Errorf("%s grants %v on Resource * to no role of the stack", s.policy, s.actions)
		}
		for _, role := range s.roles {
			got[role] = sorted(append(got[role], s.actions...))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("actions on Resource * by role = %v, want only %v", got, want)
	}
}

func TestFunctionRole(t *testing.T) {
	f := synth(t, ProdStage)
	roles := map[string]bool{}
	for _, function := range []awslambda.Function{f.stack.Function, f.stack.EventFunction} {
		fnID, fn := f.function(t, function)
		roleID := roleOf(fn)
		role := f.resources("AWS::IAM::Role")[roleID]
		if role == nil {
			t.Fatalf("%s's role %s is not in the stack", fnID, roleID)
		}
		// A role of its own per function.
		if roles[roleID] {
			t.Errorf("%s shares its role %s", fnID, roleID)
		}
		roles[roleID] = true
		// Written-out permissions only: no AWSLambdaBasicExecutionRole.
		if m := props(role)["ManagedPolicyArns"]; m != nil {
			t.Errorf("%s: role has managed policies %s", fnID, asJSON(m))
		}
		trust := asJSON(props(role)["AssumeRolePolicyDocument"])
		if !strings.Contains(trust, `"Service":"lambda.amazonaws.com"`) {
			t.Errorf("%s: role trust = %s, want lambda.amazonaws.com", fnID, trust)
		}
		// It writes only to its own log group.
		logID := props(fn)["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)
		var logs []string
		for _, s := range f.roleStatements(t, roleID) {
			if !slices.ContainsFunc(s.actions, func(a string) bool { return strings.HasPrefix(a, "logs:") }) {
				continue
			}
			logs = append(logs, grants([]statement{s})...)
		}
		var want []string
		for _, a := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
			want = append(want, a+" on "+asJSON(arnOf(logID)))
		}
		if !slices.Equal(sorted(logs), want) {
			t.Errorf("%s: logs grants %v, want %v", fnID, sorted(logs), want)
		}
	}
}

func TestTableStream(t *testing.T) {
	f := synth(t, ProdStage)
	_, table := f.only(t, "AWS::DynamoDB::Table")
	// Both images: the event function reads the entity's new state and
	// what an update changed or a delete removed.
	want := map[string]any{"StreamViewType": "NEW_AND_OLD_IMAGES"}
	if got := props(table)["StreamSpecification"]; !sameJSON(got, want) {
		t.Errorf("StreamSpecification = %s, want %s", asJSON(got), asJSON(want))
	}
}

func TestEventFunction(t *testing.T) {
	f := synth(t, ProdStage)
	tableID, _ := f.only(t, "AWS::DynamoDB::Table")
	secretID, _ := f.only(t, "AWS::SecretsManager::Secret")
	busID, _ := f.only(t, "AWS::Events::EventBus")
	queueID, _ := f.only(t, "AWS::SQS::Queue")
	_, api := f.function(t, f.stack.Function)
	_, fn := f.function(t, f.stack.EventFunction)
	p := props(fn)

	want := map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
		"MemorySize":    512,
		"Timeout":       30,
		"TracingConfig": map[string]any{"Mode": "Active"},
	}
	for k, v := range want {
		if !sameJSON(p[k], v) {
			t.Errorf("%s = %s, want %s", k, asJSON(p[k]), asJSON(v))
		}
	}

	env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	wantEnv := map[string]any{
		"TABLE_NAME": ref(tableID),
		"LOG_LEVEL":  "info",
		"CURSOR_SECRET": map[string]any{"Fn::Join": []any{"", []any{
			"{{resolve:secretsmanager:", ref(secretID), ":SecretString:::}}",
		}}},
		// An EventBus's Ref is its name, a Queue's its URL.
		"EVENT_BUS_NAME":               ref(busID),
		"DLQ_URL":                      ref(queueID),
		"POWERTOOLS_METRICS_NAMESPACE": "lambdakit",
		"POWERTOOLS_SERVICE_NAME":      "lambdakit-prod",
	}
	if !sameJSON(env, wantEnv) {
		t.Errorf("environment = %s, want %s", asJSON(env), asJSON(wantEnv))
	}
	// What the two functions share, they share exactly.
	apiEnv := props(api)["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, k := range []string{"TABLE_NAME", "LOG_LEVEL", "CURSOR_SECRET", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME"} {
		if !sameJSON(env[k], apiEnv[k]) {
			t.Errorf("%s = %s, the API function's %s", k, asJSON(env[k]), asJSON(apiEnv[k]))
		}
	}

	// Its own log group, with the same retention as the API function's.
	logRef, _ := p["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)
	logID, _ := logRef["Ref"].(string)
	group, ok := f.resources("AWS::Logs::LogGroup")[logID]
	if !ok {
		t.Fatalf("LoggingConfig = %s, want a Ref to a log group of the stack", asJSON(p["LoggingConfig"]))
	}
	if apiLogs := props(api)["LoggingConfig"]; sameJSON(apiLogs, p["LoggingConfig"]) {
		t.Errorf("the event function logs to the API function's group %s", asJSON(apiLogs))
	}
	if got := props(group)["RetentionInDays"]; got != float64(30) {
		t.Errorf("event function log retention = %v days, want 30", got)
	}
}

// assetManifest is the part of the cloud assembly's asset manifest the
// tests read: each file asset's staged directory and its S3 object keys.
type assetManifest struct {
	Files map[string]struct {
		Source struct {
			Path      string `json:"path"`
			Packaging string `json:"packaging"`
		} `json:"source"`
		Destinations map[string]struct {
			ObjectKey string `json:"objectKey"`
		} `json:"destinations"`
	} `json:"files"`
}

func TestFunctionAssets(t *testing.T) {
	f := synth(t, ProdStage)
	raw, err := os.ReadFile(filepath.Join(f.outdir, *f.stack.ArtifactId()+".assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest assetManifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	// Each function's code is the zip of its own asset directory: the
	// staged copy holds the fixture's placeholder for that function.
	for _, tt := range []struct {
		fn          awslambda.Function
		placeholder string
	}{
		{f.stack.Function, apiPlaceholder},
		{f.stack.EventFunction, eventsPlaceholder},
	} {
		id, fn := f.function(t, tt.fn)
		key, _ := props(fn)["Code"].(map[string]any)["S3Key"].(string)
		var staged []string
		for _, file := range manifest.Files {
			for _, d := range file.Destinations {
				if d.ObjectKey == key && file.Source.Packaging == "zip" {
					staged = append(staged, file.Source.Path)
				}
			}
		}
		if len(staged) != 1 {
			t.Errorf("%s: S3Key %s is %d zip assets, want 1", id, key, len(staged))
			continue
		}
		got, err := os.ReadFile(filepath.Join(f.outdir, staged[0], bootstrapFile))
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if string(got) != tt.placeholder {
			t.Errorf("%s: bootstrap = %q, want %q", id, got, tt.placeholder)
		}
	}
}

func TestEventSourceMapping(t *testing.T) {
	f := synth(t, ProdStage)
	tableID, _ := f.only(t, "AWS::DynamoDB::Table")
	queueID, _ := f.only(t, "AWS::SQS::Queue")
	fnID, fn := f.function(t, f.stack.EventFunction)
	id, mapping := f.only(t, "AWS::Lambda::EventSourceMapping")
	if want := f.logicalID(t, f.stack.EventSourceMapping); id != want {
		t.Errorf("mapping %s, want ServiceStack.EventSourceMapping %s", id, want)
	}

	// Every property, so that none is added unnoticed (a batching window,
	// a filter, a tumbling window).
	got := maps.Clone(props(mapping))
	delete(got, "Tags")
	want := map[string]any{
		"FunctionName":     ref(fnID),
		"EventSourceArn":   map[string]any{"Fn::GetAtt": getAtt(tableID, "StreamArn")},
		"StartingPosition": "TRIM_HORIZON",
		"BatchSize":        100,
		// A failed invocation (a timeout, a crash) is split to isolate the
		// record that caused it; otherwise the function names the failed
		// records and a retry starts at the first of them.
		"BisectBatchOnFunctionError": true,
		"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
		"MaximumRetryAttempts":       10,
		// Six hours: well within the stream's 24-hour retention, so a
		// record sent to the queue can still be read back from the
		// message's sequence numbers.
		"MaximumRecordAgeInSeconds": 6 * 3600,
		// One batch per shard at a time: an item's records in order.
		"ParallelizationFactor": 1,
		"DestinationConfig": map[string]any{
			"OnFailure": map[string]any{"Destination": arnOf(queueID)},
		},
	}
	if !sameJSON(got, want) {
		t.Errorf("mapping properties\n%s\nwant\n%s", asJSON(got), asJSON(want))
	}
	// The mapping reads the stream with the function's role, and
	// CloudFormation creates it only once that role may: it refers to the
	// function, which depends on the role's policy.
	policies := map[string]bool{}
	for _, s := range f.roleStatements(t, roleOf(fn)) {
		policies[s.policy] = true
	}
	deps, _ := fn["DependsOn"].([]any)
	for policy := range policies {
		if !slices.Contains(deps, any(policy)) {
			t.Errorf("%s does not depend on its role's policy %s (DependsOn %v)", fnID, policy, deps)
		}
	}
}

func TestDeadLetterQueue(t *testing.T) {
	f := synth(t, ProdStage)
	queueID, queue := f.only(t, "AWS::SQS::Queue")
	got := maps.Clone(props(queue))
	delete(got, "Tags")
	// SQS-managed encryption (no KMS key to grant), the longest retention,
	// a generated name; no redrive of its own.
	want := map[string]any{
		"SqsManagedSseEnabled":   true,
		"MessageRetentionPeriod": 14 * 24 * 3600,
	}
	if !sameJSON(got, want) {
		t.Errorf("queue properties = %s, want %s", asJSON(got), asJSON(want))
	}

	// TLS only: the queue policy refuses any request without it.
	_, policy := f.only(t, "AWS::SQS::QueuePolicy")
	if got := props(policy)["Queues"]; !sameJSON(got, []any{ref(queueID)}) {
		t.Errorf("queue policy applies to %s, want the queue", asJSON(got))
	}
	wantDoc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Deny",
			"Principal": map[string]any{"AWS": "*"},
			"Action":    "sqs:*",
			"Resource":  arnOf(queueID),
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		}},
	}
	if got := props(policy)["PolicyDocument"]; !sameJSON(got, wantDoc) {
		t.Errorf("queue policy = %s, want %s", asJSON(got), asJSON(wantDoc))
	}
}

func TestEventBusAndArchive(t *testing.T) {
	for _, tt := range alarmFixtures {
		t.Run(tt.stage, func(t *testing.T) {
			f := tt.fixture(t)
			_, service := f.metricsEnv(t)
			busID, bus := f.only(t, "AWS::Events::EventBus")
			// One bus per stage, named like the events' Source.
			if got := props(bus)["Name"]; got != "lambdakit-"+tt.stage || got != service {
				t.Errorf("bus name = %v, want lambdakit-%s, the service name %s", got, tt.stage, service)
			}
			// The account's own principals only: no bus policy.
			for k := range props(bus) {
				if !slices.Contains([]string{"Name", "Description", "Tags"}, k) {
					t.Errorf("bus has %s %s", k, asJSON(props(bus)[k]))
				}
			}
			if n := len(f.resources("AWS::Events::EventBusPolicy")); n != 0 {
				t.Errorf("%d bus policies, want none", n)
			}

			_, archive := f.only(t, "AWS::Events::Archive")
			p := props(archive)
			want := map[string]any{
				"ArchiveName": service,
				"SourceArn":   arnOf(busID),
				// Every event the service publishes, by its Source.
				"EventPattern":  map[string]any{"source": []any{service}},
				"RetentionDays": 30,
			}
			for k, v := range want {
				if !sameJSON(p[k], v) {
					t.Errorf("archive %s = %s, want %s", k, asJSON(p[k]), asJSON(v))
				}
			}
		})
	}
}

func TestEventFunctionRole(t *testing.T) {
	f := synth(t, ProdStage)
	tableID, _ := f.only(t, "AWS::DynamoDB::Table")
	busID, _ := f.only(t, "AWS::Events::EventBus")
	queueID, _ := f.only(t, "AWS::SQS::Queue")
	fnID, fn := f.function(t, f.stack.EventFunction)
	role := roleOf(fn)
	logID := props(fn)["LoggingConfig"].(map[string]any)["LogGroup"].(map[string]any)["Ref"].(string)

	var want []string
	grant := func(resource any, actions ...string) {
		for _, a := range actions {
			want = append(want, a+" on "+asJSON(resource))
		}
	}
	grant(arnOf(logID), "logs:CreateLogStream", "logs:PutLogEvents")
	// X-Ray, and ListStreams, which has no resource-level permissions.
	grant("*", "dynamodb:ListStreams", "xray:PutTelemetryRecords", "xray:PutTraceSegments")
	// The stream reads the mapping makes with this role.
	grant(map[string]any{"Fn::GetAtt": getAtt(tableID, "StreamArn")},
		"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
	grant(arnOf(busID), "events:PutEvents")
	// The mapping's on-failure destination and the function's own sends.
	grant(arnOf(queueID), "sqs:SendMessage")
	// Consumers' reads and derived writes, on the table alone.
	grant(arnOf(tableID), "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem")

	if got := grants(f.roleStatements(t, role)); !slices.Equal(got, sorted(want)) {
		t.Errorf("%s's grants\n%s\nwant\n%s", fnID, strings.Join(got, "\n"), strings.Join(sorted(want), "\n"))
	}
	// Nobody else may publish events or touch the queue.
	for _, s := range f.statements(t) {
		for _, a := range s.actions {
			if (strings.HasPrefix(a, "events:") || strings.HasPrefix(a, "sqs:")) && !slices.Equal(s.roles, []string{role}) {
				t.Errorf("%s grants %s to %v, want the event function's role %s only", s.policy, a, s.roles, role)
			}
		}
	}
}

// pathParam is a {param} segment, which execute-api ARNs write as *.
var pathParam = regexp.MustCompile(`\{[^}]*\}`)

func TestAPIMethodsAreIAMAuthorizedLambdaProxies(t *testing.T) {
	f := synth(t, ProdStage)
	fnID, _ := f.function(t, f.stack.Function)
	stageID, _ := f.only(t, "AWS::ApiGateway::Stage")
	// Exactly the service's routes, whatever they are: the same source main
	// deploys from.
	want := sorted(serviceRoutes(t))

	routes := f.methodRoutes(t)
	for id, m := range f.resources("AWS::ApiGateway::Method") {
		p := props(m)
		route := routes[id]
		if p["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("%s (%s): AuthorizationType = %v, want AWS_IAM", route, id, p["AuthorizationType"])
		}
		integ, _ := p["Integration"].(map[string]any)
		if integ["Type"] != "AWS_PROXY" || integ["IntegrationHttpMethod"] != "POST" {
			t.Errorf("%s: integration %v %v, want an AWS_PROXY (POST) integration", route, integ["Type"], integ["IntegrationHttpMethod"])
		}
		if !strings.Contains(asJSON(integ["Uri"]), asJSON(arnOf(fnID))) {
			t.Errorf("%s: integration URI %s does not invoke the function", route, asJSON(integ["Uri"]))
		}
	}
	if got := sorted(slices.Collect(maps.Values(routes))); !slices.Equal(got, want) {
		t.Errorf("routes = %v, want app.Routes() %v", got, want)
	}

	// API Gateway may invoke the function through those methods only: one
	// permission per route, for the deployed stage (no console test
	// invocations) and the route's own method and path (no wildcard
	// method). The ARN ends ".../{stage}/METHOD/path", the stage a Ref.
	var wantSources, gotSources []string
	for _, r := range want {
		method, path, _ := strings.Cut(r, " ")
		wantSources = append(wantSources, "/"+method+pathParam.ReplaceAllString(path, "*"))
	}
	for id, perm := range f.resources("AWS::Lambda::Permission") {
		p := props(perm)
		if p["Action"] != "lambda:InvokeFunction" || p["Principal"] != "apigateway.amazonaws.com" ||
			!sameJSON(p["FunctionName"], arnOf(fnID)) {
			t.Errorf("permission %s lets %v %v %s, want apigateway.amazonaws.com to invoke the function",
				id, p["Principal"], p["Action"], asJSON(p["FunctionName"]))
		}
		src, _ := p["SourceArn"].(map[string]any)
		join, _ := src["Fn::Join"].([]any)
		var parts []any
		if len(join) == 2 {
			parts, _ = join[1].([]any)
		}
		if len(parts) < 2 || !sameJSON(parts[len(parts)-2], ref(stageID)) {
			t.Errorf("permission %s: SourceArn %s, want one method of the deployed stage", id, asJSON(src))
			continue
		}
		gotSources = append(gotSources, fmt.Sprint(parts[len(parts)-1]))
	}
	if !slices.Equal(sorted(gotSources), sorted(wantSources)) {
		t.Errorf("Lambda permissions for stage/%v, want one per route: stage/%v", sorted(gotSources), sorted(wantSources))
	}
}

func TestParseRoutesRejectsWhatAPIGatewayCannotServe(t *testing.T) {
	tests := []struct {
		name    string
		routes  []string
		wantErr string
	}{
		{"no routes", nil, "none given"},
		{"empty pattern", []string{""}, `route "": want "METHOD /path"`},
		{"no path", []string{"GET"}, "METHOD /path"},
		{"no method", []string{"/widgets"}, "METHOD /path"},
		{"lower-case method", []string{"get /widgets"}, "METHOD /path"},
		{"ANY method", []string{"ANY /widgets"}, "METHOD /path"},
		{"unknown method", []string{"FETCH /widgets"}, "METHOD /path"},
		{"two spaces", []string{"GET  /widgets"}, "must start with /"},
		{"host in pattern", []string{"GET example.com/widgets"}, "must start with /"},
		{"trailing slash", []string{"GET /widgets/"}, "empty path segment"},
		{"doubled slash", []string{"GET /widgets//parts"}, "empty path segment"},
		{"unclosed parameter", []string{"GET /widgets/{id"}, "parameter {id:"},
		{"unopened parameter", []string{"GET /widgets/id}"}, "parameter id}:"},
		{"empty parameter", []string{"GET /widgets/{}"}, "parameter {}:"},
		{"greedy parameter", []string{"GET /files/{path+}"}, "parameter {path+}:"},
		{"ServeMux wildcard", []string{"GET /files/{path...}"}, "parameter {path...}:"},
		{"ServeMux end anchor", []string{"GET /{$}"}, "parameter {$}:"},
		{"parameter inside a segment", []string{"GET /widgets/id-{id}"}, "parameter id-{id}:"},
		{"query string", []string{"GET /widgets?page=1"}, `segment "widgets?page=1"`},
		{"space in path", []string{"GET /my widgets"}, `segment "my widgets"`},
		{"repeated parameter", []string{"GET /a/{id}/b/{id}"}, "{id} appears twice"},
		{"same route twice", []string{"GET /widgets", "GET /widgets"}, `"GET /widgets" already defines GET /widgets`},
		{
			"two parameters under one resource",
			[]string{"GET /widgets/{id}", "GET /widgets/{widgetId}/parts"},
			"/widgets has the variable child {id}",
		},
		{"one bad among good", []string{"GET /widgets", "PUT /widgets/"}, `route "PUT /widgets/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRoutes(tt.routes)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseRoutes(%q) = %v, %v; want an error containing %q", tt.routes, got, err, tt.wantErr)
			}
		})
	}
}

func TestAddRoutesBuildsOneResourcePerPathSegment(t *testing.T) {
	tests := []struct {
		name   string
		routes []string
		// resources is every resource's path, each exactly once: a prefix
		// shared by several routes is one resource.
		resources []string
	}{
		{
			name: "nested parameters share their prefixes",
			routes: []string{
				"GET /widgets", "POST /widgets",
				"GET /widgets/{id}", "DELETE /widgets/{id}",
				"GET /widgets/{id}/parts", "POST /widgets/{id}/parts",
				"GET /widgets/{id}/parts/{partId}", "PUT /widgets/{id}/parts/{partId}",
			},
			resources: []string{"/widgets", "/widgets/{id}", "/widgets/{id}/parts", "/widgets/{id}/parts/{partId}"},
		},
		{
			name:      "root route",
			routes:    []string{"GET /", "HEAD /", "GET /health"},
			resources: []string{"/health"},
		},
		{
			name:      "resources without methods lead to a deep route",
			routes:    []string{"GET /a/b/{c}/d"},
			resources: []string{"/a", "/a/b", "/a/b/{c}", "/a/b/{c}/d"},
		},
		{
			name: "a literal beside a parameter, children before parents",
			routes: []string{
				"GET /widgets/{id}/parts", "GET /widgets/search", "GET /widgets/{id}",
				"PATCH /orders/{id}", "OPTIONS /orders",
			},
			resources: []string{
				"/orders", "/orders/{id}",
				"/widgets", "/widgets/search", "/widgets/{id}", "/widgets/{id}/parts",
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routes, err := parseRoutes(tt.routes)
			if err != nil {
				t.Fatal(err)
			}
			ctx := cdkContext(t)
			outdir := filepath.Join(tempRoot, "tree", fmt.Sprint(i))
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
			stack := awscdk.NewStack(app, jsii.String("Tree"), nil)
			api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{Deploy: jsii.Bool(false)})
			methods := addRoutes(api.Root(), routes, awsapigateway.NewMockIntegration(nil))

			// ServiceStack.Methods: one per route, in the routes' order.
			var got []string
			for _, m := range methods {
				got = append(got, *m.HttpMethod()+" "+*m.Resource().Path())
			}
			if !slices.Equal(got, tt.routes) {
				t.Errorf("methods = %v, want %v", got, tt.routes)
			}

			tmpl, err := templateOf(stack, outdir)
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{template: tmpl, json: *tmpl.ToJSON()}
			if got := sorted(slices.Collect(maps.Values(f.methodRoutes(t)))); !slices.Equal(got, sorted(tt.routes)) {
				t.Errorf("template methods = %v, want %v", got, sorted(tt.routes))
			}
			if got := sorted(f.resourcePaths(t)); !slices.Equal(got, sorted(tt.resources)) {
				t.Errorf("template resources = %v, want %v", got, sorted(tt.resources))
			}
		})
	}
}

func TestAPIStageThrottlingAndLogs(t *testing.T) {
	f := synth(t, ProdStage)
	check(t, "stage method settings", func() {
		f.template.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), map[string]any{
			"MethodSettings": []any{map[string]any{
				"HttpMethod":           "*",
				"ResourcePath":         "/*",
				"ThrottlingRateLimit":  100,
				"ThrottlingBurstLimit": 200,
				"DataTraceEnabled":     false,
				"LoggingLevel":         "ERROR",
			}},
			"TracingEnabled": true,
		})
	})
	check(t, "regional endpoint", func() {
		f.template.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), map[string]any{
			"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}},
		})
	})

	_, stage := f.only(t, "AWS::ApiGateway::Stage")
	logs, _ := props(stage)["AccessLogSetting"].(map[string]any)
	var format map[string]string
	if err := json.Unmarshal([]byte(fmt.Sprint(logs["Format"])), &format); err != nil {
		t.Errorf("access log format %q is not a JSON object: %v", logs["Format"], err)
	}
	for _, k := range []string{"requestId", "userArn", "httpMethod", "resourcePath", "status", "integrationLatency"} {
		if !strings.HasPrefix(format[k], "$context.") {
			t.Errorf("access log field %s = %q, want a $context variable", k, format[k])
		}
	}
	// The destination is one of the stack's log groups, with a retention.
	dest := asJSON(logs["DestinationArn"])
	found := false
	for id, g := range f.resources("AWS::Logs::LogGroup") {
		if strings.Contains(dest, asJSON(ref(id))) {
			found = true
			if got := props(g)["RetentionInDays"]; got != float64(30) {
				t.Errorf("access log group retention = %v, want 30", got)
			}
		}
	}
	if !found {
		t.Errorf("access log destination %s is not a log group of the stack", dest)
	}
}

func TestOutputs(t *testing.T) {
	f := synth(t, ProdStage)
	tableID, _ := f.only(t, "AWS::DynamoDB::Table")
	apiID, _ := f.only(t, "AWS::ApiGateway::RestApi")
	outputs, _ := f.json["Outputs"].(map[string]any)
	var names []string
	for name := range outputs {
		names = append(names, name)
	}
	if want := []string{"ApiUrl", "DeadLetterQueueUrl", "EventBusArn", "EventBusName", "TableName"}; !slices.Equal(sorted(names), want) {
		t.Fatalf("outputs = %v, want %v", sorted(names), want)
	}
	busID, _ := f.only(t, "AWS::Events::EventBus")
	queueID, _ := f.only(t, "AWS::SQS::Queue")
	for name, want := range map[string]any{
		"TableName":          ref(tableID),
		"EventBusName":       ref(busID), // an EventBus's Ref is its name
		"EventBusArn":        arnOf(busID),
		"DeadLetterQueueUrl": ref(queueID), // a Queue's Ref is its URL
	} {
		if got := outputs[name].(map[string]any)["Value"]; !sameJSON(got, want) {
			t.Errorf("%s output = %s, want %s", name, asJSON(got), asJSON(want))
		}
	}
	url := asJSON(outputs["ApiUrl"].(map[string]any)["Value"])
	if !strings.Contains(url, `"https://"`) || !strings.Contains(url, asJSON(ref(apiID))) {
		t.Errorf("ApiUrl output = %s, want the API's https URL", url)
	}
}

// nagLine is a line of cdk-nag's JSON report.
type nagLine struct {
	RuleID          string `json:"ruleId"`
	ResourceID      string `json:"resourceId"`
	Compliance      string `json:"compliance"`
	ExceptionReason string `json:"exceptionReason"`
}

func TestCdkNagFindingsAreFixedOrSuppressed(t *testing.T) {
	// The defaults, and a stack with route alarms and an alarm topic: the
	// monitoring adds no finding and needs no suppression either way.
	for _, tt := range alarmFixtures {
		t.Run(tt.name, func(t *testing.T) { checkNag(t, tt.fixture(t), tt.stage) })
	}
}

// checkNag holds the stack of stage in f to cdk-nag's AwsSolutions rules:
// no error or warning, the fixed rules reported compliant, and exactly
// the suppressions of nag.go.
func checkNag(t *testing.T, f *fixture, stage string) {
	t.Helper()
	annotations := assertions.Annotations_FromStack(f.stack.Stack)
	nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
	for _, m := range *annotations.FindError(jsii.String("*"), nag) {
		t.Errorf("cdk-nag error: %s", asJSON(m))
	}
	for _, m := range *annotations.FindWarning(jsii.String("*"), nag) {
		t.Errorf("cdk-nag warning: %s", asJSON(m))
	}

	// The report proves the rules ran, and pins what is suppressed where.
	files, err := filepath.Glob(filepath.Join(f.outdir, "AwsSolutions-*NagReport.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("cdk-nag reports in %s: %v (%v), want one", f.outdir, files, err)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var report struct{ Lines []nagLine }
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatal(err)
	}
	stackPrefix := *f.stack.StackName() + "/"
	suppressed := map[string][]string{}
	compliant := map[string]bool{}
	for _, l := range report.Lines {
		switch l.Compliance {
		case "Compliant":
			compliant[l.RuleID] = true
		case "Suppressed":
			if len(l.ExceptionReason) < 40 {
				t.Errorf("%s on %s: reason %q is too thin", l.RuleID, l.ResourceID, l.ExceptionReason)
			}
			suppressed[l.RuleID] = append(suppressed[l.RuleID], strings.TrimPrefix(l.ResourceID, stackPrefix))
		default:
			t.Errorf("%s on %s: %s", l.RuleID, l.ResourceID, l.Compliance)
		}
	}
	// Fixed rather than suppressed: PITR, access logs, authorization,
	// execution logging, the function roles (no managed policy), and the
	// queue's encryption and TLS-only policy.
	for _, rule := range []string{
		"AwsSolutions-DDB3", "AwsSolutions-APIG1", "AwsSolutions-APIG4", "AwsSolutions-APIG6", "AwsSolutions-IAM4",
		"AwsSolutions-SQS2", "AwsSolutions-SQS4",
	} {
		if !compliant[rule] {
			t.Errorf("%s is not reported compliant", rule)
		}
	}
	// COG4 is suppressed on each method, which CDK names after its route:
	// Api/Default, the resource path, the verb.
	var methods []string
	for _, r := range serviceRoutes(t) {
		method, path, _ := strings.Cut(r, " ")
		methods = append(methods, "Api/Default"+strings.TrimSuffix(path, "/")+"/"+method+"/Resource")
	}
	wantSuppressed := map[string][]string{
		"AwsSolutions-APIG2": {"Api/Resource"},
		"AwsSolutions-APIG3": {"Api/DeploymentStage." + stage + "/Resource"},
		"AwsSolutions-COG4":  sorted(methods),
		"AwsSolutions-IAM4":  {"Api/CloudWatchRole/Resource"},
		"AwsSolutions-IAM5":  {"EventFunctionRole/DefaultPolicy/Resource", "FunctionRole/DefaultPolicy/Resource"},
		"AwsSolutions-SMG4":  {"CursorSecret/Resource"},
		"AwsSolutions-SQS3":  {"DeadLetterQueue/Resource"},
	}
	for rule := range suppressed { // each synthesis appends to the report
		slices.Sort(suppressed[rule])
		suppressed[rule] = slices.Compact(suppressed[rule])
	}
	if !reflect.DeepEqual(suppressed, wantSuppressed) {
		t.Errorf("suppressed findings = %v, want %v", suppressed, wantSuppressed)
	}
}

// TestCdkNagCatchesFindings guards the test above against passing vacuously:
// the same checks, with the same flags, must fail synthesis of a stack with
// an unsuppressed finding (a secret without rotation).
func TestCdkNagCatchesFindings(t *testing.T) {
	ctx := cdkContext(t)
	outdir := filepath.Join(tempRoot, "control")
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	stack := awscdk.NewStack(app, jsii.String("Control"), nil)
	awssecretsmanager.NewSecret(stack, jsii.String("Secret"), nil)
	AddComplianceChecks(app)
	_, err := templateOf(stack, outdir)
	if err == nil || !strings.Contains(err.Error(), "AwsSolutions-SMG4") {
		t.Errorf("synthesis error = %v, want one reporting AwsSolutions-SMG4", err)
	}
}

func TestNewServiceStackRejectsBadInput(t *testing.T) {
	good := filepath.Join(tempRoot, "reject", "good")
	noBinary := filepath.Join(tempRoot, "reject", "empty")
	dirBinary := filepath.Join(tempRoot, "reject", "dir")
	missing := filepath.Join(tempRoot, "reject", "nope")
	for _, d := range []string{good, noBinary, filepath.Join(dirBinary, bootstrapFile)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(good, bootstrapFile), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	routes := []string{"GET /widgets"}
	tests := []struct {
		name, asset, eventsAsset, stage string
		routes                          []string
		wantErr                         string
		patternIndexes                  int
	}{
		{"no asset dir", "", good, "dev", routes, "function: asset directory is empty", 0},
		{"missing dir", missing, good, "dev", routes, "function asset: stat " + missing + "/bootstrap: no such file or directory (run make build first, or pass -c asset=DIR)", 0},
		{"no bootstrap", noBinary, good, "dev", routes, "run make build first", 0},
		{"bootstrap is a directory", dirBinary, good, "dev", routes, "not a regular file", 0},
		{"no events asset dir", good, "", "dev", routes, "event function: asset directory is empty", 0},
		{"missing events dir", good, missing, "dev", routes, "event function asset: stat " + missing + "/bootstrap: no such file or directory (run make build first, or pass -c eventsAsset=DIR)", 0},
		{"no events bootstrap", good, noBinary, "dev", routes, "event function asset", 0},
		{"events bootstrap is a directory", good, dirBinary, "dev", routes, "event function asset: " + dirBinary + "/bootstrap is not a regular file", 0},
		{"upper-case stage", good, good, "Prod", routes, "stage", 0},
		{"underscore stage", good, good, "my_stage", routes, "stage", 0},
		{"long stage", good, good, strings.Repeat("a", 21), routes, "stage", 0},
		{"no routes", good, good, "dev", nil, "routes: none given", 0},
		{"malformed route", good, good, "dev", []string{"GET /widgets", "GET widgets"}, `route "GET widgets"`, 0},
		{"negative pattern indexes", good, good, "dev", routes, "pattern indexes: -1", -1},
		{"more pattern indexes than the layout's", good, good, "dev", routes,
			fmt.Sprintf("pattern indexes: %d; the layout has %d", len(dynamo.Layout().Patterns)+1, len(dynamo.Layout().Patterns)),
			len(dynamo.Layout().Patterns) + 1},
	}
	app := awscdk.NewApp(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServiceStack(app, "Reject", &ServiceStackProps{
				AssetDir: tt.asset, EventsAssetDir: tt.eventsAsset, Stage: tt.stage, Routes: tt.routes,
				PatternIndexes: tt.patternIndexes,
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// metricsEnv is where the deployed functions write their EMF metrics: their
// POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME, the same for
// both.
func (f *fixture) metricsEnv(t *testing.T) (namespace, service string) {
	t.Helper()
	for i, function := range []awslambda.Function{f.stack.Function, f.stack.EventFunction} {
		id, fn := f.function(t, function)
		env, _ := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
		ns, _ := env["POWERTOOLS_METRICS_NAMESPACE"].(string)
		svc, _ := env["POWERTOOLS_SERVICE_NAME"].(string)
		if ns == "" || svc == "" {
			t.Fatalf("%s: environment %s names no metrics namespace or service", id, asJSON(env))
		}
		if i > 0 && (ns != namespace || svc != service) {
			t.Fatalf("%s writes metrics to %s, %s; the API function to %s, %s", id, ns, svc, namespace, service)
		}
		namespace, service = ns, svc
	}
	return namespace, service
}

// alarmWant is one alarm: the metric it watches and how.
type alarmWant struct {
	name              string
	namespace, metric string
	dims              map[string]any
	// statistic is Sum, Maximum, or a percentile, which CloudFormation
	// calls an ExtendedStatistic.
	statistic        string
	threshold        float64
	periods, toAlarm int
	// missing is TreatMissingData.
	missing string
}

// What an alarm does without data: an idle API or function reports
// nothing, and idle is healthy; the dead-letter queue's alarm keeps its
// state, since SQS stops reporting an idle queue even when it holds
// messages.
const (
	notBreaching = "notBreaching"
	keepState    = "ignore"
)

// The fixtures the alarm and dashboard tests compare: the defaults (the
// prod fixture leaves Alarms and AlarmTopicARN zero) and customAlarms.
var alarmFixtures = []struct {
	name    string
	fixture func(t *testing.T) *fixture
	stage   string
	// settings are the thresholds the template must hold, written out:
	// for the defaults, the values AlarmSettings documents.
	settings AlarmSettings
	topic    string
}{
	{"defaults", func(t *testing.T) *fixture { return synth(t, ProdStage) }, ProdStage,
		AlarmSettings{
			API5XXErrors: 5, FunctionErrors: 0, FunctionThrottles: 0, APILatencyP99Ms: 1000, RouteLatencyP99Ms: 0,
			EventIteratorAgeMs: 300000, DeadLetterMessages: 0, EventPutFailures: 0,
		}, ""},
	{"from props", synthCustomAlarms, customAlarmsStage, customAlarmsSettings, customAlarmsTopic},
}

func TestAlarms(t *testing.T) {
	for _, tt := range alarmFixtures {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fixture(t)
			stageID, _ := f.only(t, "AWS::ApiGateway::Stage")
			fnID, _ := f.function(t, f.stack.Function)
			eventsID, _ := f.function(t, f.stack.EventFunction)
			queueID, _ := f.only(t, "AWS::SQS::Queue")
			namespace, service := f.metricsEnv(t)
			if namespace != "lambdakit" || service != "lambdakit-"+tt.stage {
				t.Errorf("metrics env = %s, %s; want lambdakit, lambdakit-%s", namespace, service, tt.stage)
			}
			api := map[string]any{"ApiName": "lambdakit-products-" + tt.stage, "Stage": ref(stageID)}
			fn := map[string]any{"FunctionName": ref(fnID)}
			events := map[string]any{"FunctionName": ref(eventsID)}
			queue := map[string]any{"QueueName": map[string]any{"Fn::GetAtt": getAtt(queueID, "QueueName")}}
			s := tt.settings
			want := []alarmWant{
				{"API 5XX", "AWS/ApiGateway", "5XXError", api, "Sum", s.API5XXErrors, 1, 1, notBreaching},
				{"Lambda errors", "AWS/Lambda", "Errors", fn, "Sum", s.FunctionErrors, 1, 1, notBreaching},
				{"Lambda throttles", "AWS/Lambda", "Throttles", fn, "Sum", s.FunctionThrottles, 1, 1, notBreaching},
				{"API latency p99", "AWS/ApiGateway", "Latency", api, "p99", s.APILatencyP99Ms, 3, 2, notBreaching},
				{"event iterator age", "AWS/Lambda", "IteratorAge", events, "Maximum", s.EventIteratorAgeMs, 1, 1, notBreaching},
				{"dead-letter queue depth", "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum", s.DeadLetterMessages, 1, 1, keepState},
				// The event function's EMF metric, with the service
				// dimension alone.
				{"refused event puts", namespace, "EventPutFailures", map[string]any{"service": service}, "Sum", s.EventPutFailures, 1, 1, notBreaching},
			}
			// The service's own latency, per route: the route dimension is
			// the route template the service writes, for its 2xx answers.
			if s.RouteLatencyP99Ms > 0 {
				for _, r := range serviceRoutes(t) {
					dims := map[string]any{"service": service, "route": r, "statusClass": "2xx"}
					want = append(want, alarmWant{"route latency p99 " + r, namespace, "Latency", dims, "p99", s.RouteLatencyP99Ms, 3, 2, notBreaching})
				}
			}

			got := f.alarmsByMetric(t)
			if len(got) != len(want) {
				t.Errorf("%d alarms, want %d: %v", len(got), len(want), sorted(slices.Collect(maps.Keys(got))))
			}
			if n := len(f.stack.Alarms); n != len(want) {
				t.Errorf("ServiceStack.Alarms has %d alarms, want %d", n, len(want))
			}
			for _, w := range want {
				key := alarmKey(w.namespace, w.metric, w.dims)
				p, ok := got[key]
				if !ok {
					t.Errorf("%s: no alarm on %s", w.name, key)
					continue
				}
				fields := map[string]any{
					"Period":             300,
					"Threshold":          w.threshold,
					"ComparisonOperator": "GreaterThanThreshold",
					"EvaluationPeriods":  w.periods,
					"DatapointsToAlarm":  w.toAlarm,
					"TreatMissingData":   w.missing,
					"Statistic":          w.statistic,
					"ExtendedStatistic":  nil,
					// A unit must match the metric's exactly or the alarm
					// sees no data at all: none is safer.
					"Unit": nil,
				}
				if strings.HasPrefix(w.statistic, "p") {
					fields["Statistic"], fields["ExtendedStatistic"] = nil, w.statistic
				}
				for k, v := range fields {
					if !sameJSON(p[k], v) {
						t.Errorf("%s: %s = %s, want %s", w.name, k, asJSON(p[k]), asJSON(v))
					}
				}
				if d, _ := p["AlarmDescription"].(string); len(d) < 40 {
					t.Errorf("%s: AlarmDescription %q does not say what broke", w.name, d)
				}
			}
		})
	}
}

// TestCustomAlarmFixtureDiffersFromDefaults keeps TestAlarms' "from props"
// case meaningful: a threshold equal to its default would pass it even if
// the props were ignored.
func TestCustomAlarmFixtureDiffersFromDefaults(t *testing.T) {
	custom := reflect.ValueOf(customAlarmsSettings)
	defaults := reflect.ValueOf(AlarmSettings{}.withDefaults())
	for i := range custom.NumField() {
		if custom.Field(i).Float() == defaults.Field(i).Float() {
			t.Errorf("customAlarmsSettings.%s = %v, its default: pick another value", custom.Type().Field(i).Name, custom.Field(i).Float())
		}
	}
}

func TestAlarmSettingsDefaults(t *testing.T) {
	tests := []struct {
		name     string
		in, want AlarmSettings
	}{
		{"zero takes every default", AlarmSettings{}, AlarmSettings{API5XXErrors: 5, APILatencyP99Ms: 1000, EventIteratorAgeMs: 300000}},
		{
			"a field set keeps its value, the others their defaults",
			AlarmSettings{FunctionErrors: 2, RouteLatencyP99Ms: 300, DeadLetterMessages: 10},
			AlarmSettings{API5XXErrors: 5, FunctionErrors: 2, APILatencyP99Ms: 1000, RouteLatencyP99Ms: 300, EventIteratorAgeMs: 300000, DeadLetterMessages: 10},
		},
		{
			"a fraction alarms on the first error",
			AlarmSettings{API5XXErrors: 0.5, EventPutFailures: 0.5},
			AlarmSettings{API5XXErrors: 0.5, APILatencyP99Ms: 1000, EventIteratorAgeMs: 300000, EventPutFailures: 0.5},
		},
		{
			"the iterator age set",
			AlarmSettings{EventIteratorAgeMs: 60000},
			AlarmSettings{API5XXErrors: 5, APILatencyP99Ms: 1000, EventIteratorAgeMs: 60000},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.withDefaults(); got != tt.want {
				t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestAlarmActionsOnlyWithTopic(t *testing.T) {
	for _, tt := range alarmFixtures {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fixture(t)
			alarms := f.resources("AWS::CloudWatch::Alarm")
			if len(alarms) == 0 {
				t.Fatal("no alarms")
			}
			for id, a := range alarms {
				p := props(a)
				if p["ActionsEnabled"] == false {
					t.Errorf("%s: ActionsEnabled false", id)
				}
				// Nobody is told the service has no data: an idle service
				// is healthy.
				if hasKey(p, "InsufficientDataActions") {
					t.Errorf("%s: InsufficientDataActions %s", id, asJSON(p["InsufficientDataActions"]))
				}
				for _, k := range []string{"AlarmActions", "OKActions"} {
					switch {
					case tt.topic == "" && hasKey(p, k):
						t.Errorf("%s: %s %s without a topic", id, k, asJSON(p[k]))
					case tt.topic != "" && !sameJSON(p[k], []any{tt.topic}):
						t.Errorf("%s: %s = %s, want [%s]", id, k, asJSON(p[k]), tt.topic)
					}
				}
			}
			// The topic is the caller's: the stack points at it and
			// creates none.
			if topics := f.resources("AWS::SNS::Topic"); len(topics) != 0 {
				t.Errorf("the stack creates SNS topics %v", slices.Collect(maps.Keys(topics)))
			}
		})
	}
}

func TestCheckTopicARN(t *testing.T) {
	token := "arn:aws:sns:" + *awscdk.Aws_REGION() + ":" + *awscdk.Aws_ACCOUNT_ID() + ":alerts"
	for _, arn := range []string{
		"",
		"arn:aws:sns:eu-west-1:123456789012:lambdakit-alerts",
		"arn:aws-cn:sns:cn-north-1:123456789012:alerts_1",
		"arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts",
		"arn:aws:sns:us-east-1:123456789012:alerts.fifo",
		token, // resolved at deploy time
	} {
		if err := checkTopicARN(arn); err != nil {
			t.Errorf("checkTopicARN(%q) = %v, want nil", arn, err)
		}
	}
	for _, arn := range []string{
		"lambdakit-alerts",
		"arn:aws:sqs:eu-west-1:123456789012:alerts",
		"arn:aws:sns:eu-west-1:1234:alerts",
		"arn:aws:sns:eu-west-1:123456789012:",
		"arn:aws:sns:eu-west-1:123456789012:alerts ",
		"arn:aws:sns:eu-west-1:123456789012:alerts:subscription-id",
	} {
		if err := checkTopicARN(arn); err == nil || !strings.Contains(err.Error(), "want an SNS topic ARN") {
			t.Errorf("checkTopicARN(%q) = %v, want an error", arn, err)
		}
	}
}

func TestNewServiceStackRejectsBadAlarmProps(t *testing.T) {
	asset := filepath.Join(tempRoot, "reject-alarms")
	if err := os.MkdirAll(asset, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(asset, bootstrapFile), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		alarms  AlarmSettings
		topic   string
		wantErr string
	}{
		{"negative 5XX threshold", AlarmSettings{API5XXErrors: -1}, "", "API5XXErrors = -1"},
		{"negative errors threshold", AlarmSettings{FunctionErrors: -0.5}, "", "FunctionErrors = -0.5"},
		{"negative throttles threshold", AlarmSettings{FunctionThrottles: -2}, "", "FunctionThrottles = -2"},
		{"NaN latency", AlarmSettings{APILatencyP99Ms: math.NaN()}, "", "APILatencyP99Ms = NaN"},
		{"infinite route latency", AlarmSettings{RouteLatencyP99Ms: math.Inf(1)}, "", "RouteLatencyP99Ms = +Inf"},
		{"negative iterator age", AlarmSettings{EventIteratorAgeMs: -1000}, "", "EventIteratorAgeMs = -1000"},
		{"NaN dead letters", AlarmSettings{DeadLetterMessages: math.NaN()}, "", "DeadLetterMessages = NaN"},
		{"infinite refused puts", AlarmSettings{EventPutFailures: math.Inf(-1)}, "", "EventPutFailures = -Inf"},
		{"topic name, not ARN", AlarmSettings{}, "lambdakit-alerts", `alarm topic "lambdakit-alerts"`},
		{"queue ARN", AlarmSettings{}, "arn:aws:sqs:eu-west-1:123456789012:alerts", "want an SNS topic ARN"},
	}
	app := awscdk.NewApp(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServiceStack(app, "RejectAlarms", &ServiceStackProps{
				AssetDir: asset, EventsAssetDir: asset, Stage: DevStage, Routes: []string{"GET /widgets"},
				Alarms: tt.alarms, AlarmTopicARN: tt.topic,
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// dashboardBody is the part of a CloudWatch dashboard body the tests read.
type dashboardBody struct {
	Widgets []struct {
		Type                string
		X, Y, Width, Height int
		Properties          struct {
			View        string
			Title       string
			Metrics     [][]any
			Annotations struct {
				Horizontal []struct {
					Label string
					Value float64
				}
			}
		}
	}
}

// describeMetric writes one line of a graph's metrics as text: namespace,
// name and dimensions, or the expression, then the statistic and the axis
// when not the left one.
func describeMetric(line []any) string {
	var parts []string
	opts := map[string]any{}
	for _, e := range line {
		if m, ok := e.(map[string]any); ok {
			opts = m
			continue
		}
		parts = append(parts, fmt.Sprint(e))
	}
	if expr, ok := opts["expression"]; ok {
		parts = append(parts, fmt.Sprint(expr))
	}
	if stat, ok := opts["stat"]; ok {
		parts = append(parts, "stat="+fmt.Sprint(stat))
	}
	if opts["yAxis"] == "right" {
		parts = append(parts, "right")
	}
	return strings.Join(parts, " ")
}

func TestDashboard(t *testing.T) {
	for _, tt := range alarmFixtures {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fixture(t)
			stageID, _ := f.only(t, "AWS::ApiGateway::Stage")
			fnID, _ := f.function(t, f.stack.Function)
			eventsID, _ := f.function(t, f.stack.EventFunction)
			queueID, _ := f.only(t, "AWS::SQS::Queue")
			// The dashboard reads the EMF metrics where the functions
			// write them (TestAlarms pins the values).
			namespace, service := f.metricsEnv(t)
			_, d := f.only(t, "AWS::CloudWatch::Dashboard")

			// Dashboards are global: the name holds the region.
			wantName := map[string]any{"Fn::Join": []any{"-", []any{StackName(tt.stage), ref("AWS::Region")}}}
			if got := props(d)["DashboardName"]; !sameJSON(got, wantName) {
				t.Errorf("DashboardName = %s, want %s", asJSON(got), asJSON(wantName))
			}

			raw := joined(t, props(d)["DashboardBody"])
			var body dashboardBody
			if err := json.Unmarshal([]byte(raw), &body); err != nil {
				t.Fatalf("dashboard body is not JSON: %v\n%s", err, raw)
			}
			api := "AWS/ApiGateway %s ApiName lambdakit-products-" + tt.stage + " Stage " + placeholder(ref(stageID)) + " stat=%s"
			fn := "AWS/Lambda %s FunctionName " + placeholder(ref(fnID)) + " stat=%s"
			events := "AWS/Lambda %s FunctionName " + placeholder(ref(eventsID)) + " stat=%s"
			emf := func(metric string) string { return namespace + " " + metric + " service " + service + " stat=Sum" }
			search := func(metric, statistic, extra string) string {
				return fmt.Sprintf(`SEARCH('{%s,service,route,statusClass} MetricName="%s" service="%s"%s', '%s', 300)`,
					namespace, metric, service, extra, statistic)
			}
			requests := func(class string) string {
				return "SUM(" + search("Requests", "Sum", ` statusClass="`+class+`"`) + ")"
			}
			want := []struct {
				title   string
				metrics []string
			}{
				{"API requests and errors", []string{
					fmt.Sprintf(api, "Count", "Sum"), fmt.Sprintf(api, "4XXError", "Sum"), fmt.Sprintf(api, "5XXError", "Sum"),
				}},
				{"API latency (ms)", []string{fmt.Sprintf(api, "Latency", "p50"), fmt.Sprintf(api, "Latency", "p99")}},
				{"Lambda errors and throttles", []string{fmt.Sprintf(fn, "Errors", "Sum"), fmt.Sprintf(fn, "Throttles", "Sum")}},
				{"Lambda duration p99 (ms) and concurrency", []string{
					fmt.Sprintf(fn, "Duration", "p99"), fmt.Sprintf(fn, "ConcurrentExecutions", "Maximum") + " right",
				}},
				{"Service requests by status class", []string{requests("2xx"), requests("4xx"), requests("5xx")}},
				{"Service latency p99 (ms) by route and status class", []string{search("Latency", "p99", "")}},
				{"Service cold starts", []string{emf("ColdStart")}},
				{"Event stream iterator age (ms)", []string{fmt.Sprintf(events, "IteratorAge", "Maximum")}},
				{"Events published, refused puts, poison records", []string{
					emf("EventsPublished"), emf("EventPutFailures"), emf("PoisonRecords"),
				}},
				{"Event function errors and dead-letter messages", []string{
					fmt.Sprintf(events, "Errors", "Sum"),
					"AWS/SQS ApproximateNumberOfMessagesVisible QueueName " + placeholder(map[string]any{"Fn::GetAtt": getAtt(queueID, "QueueName")}) +
						" stat=Maximum right",
				}},
			}
			if len(body.Widgets) != len(want) {
				t.Fatalf("%d widgets, want %d", len(body.Widgets), len(want))
			}
			for i, w := range body.Widgets {
				p := w.Properties
				if p.Title != want[i].title {
					t.Errorf("widget %d: title %q, want %q", i, p.Title, want[i].title)
				}
				if w.Type != "metric" || p.View != "timeSeries" {
					t.Errorf("%s: a %s widget viewed as %s, want a graph (metric, timeSeries)", p.Title, w.Type, p.View)
				}
				var got []string
				for _, line := range p.Metrics {
					got = append(got, describeMetric(line))
				}
				if !slices.Equal(got, want[i].metrics) {
					t.Errorf("%s: metrics\n%s\nwant\n%s", p.Title, strings.Join(got, "\n"), strings.Join(want[i].metrics, "\n"))
				}
				// Side by side within the 24 columns, never on top of
				// another widget.
				if w.X < 0 || w.Width <= 0 || w.X+w.Width > 24 || w.Height <= 0 {
					t.Errorf("%s: at x %d, %d wide, %d high: outside the grid", p.Title, w.X, w.Width, w.Height)
				}
				for _, o := range body.Widgets[:i] {
					if w.X < o.X+o.Width && o.X < w.X+w.Width && w.Y < o.Y+o.Height && o.Y < w.Y+w.Height {
						t.Errorf("%s overlaps %s", p.Title, o.Properties.Title)
					}
				}
			}
			// The latency and iterator age graphs mark their alarms'
			// thresholds.
			if h := body.Widgets[1].Properties.Annotations.Horizontal; len(h) != 1 || h[0].Value != tt.settings.APILatencyP99Ms {
				t.Errorf("API latency annotations = %+v, want one at %v", h, tt.settings.APILatencyP99Ms)
			}
			if h := body.Widgets[7].Properties.Annotations.Horizontal; len(h) != 1 || h[0].Value != tt.settings.EventIteratorAgeMs {
				t.Errorf("iterator age annotations = %+v, want one at %v", h, tt.settings.EventIteratorAgeMs)
			}
			if f.stack.Dashboard == nil {
				t.Error("ServiceStack.Dashboard is nil")
			}
		})
	}
}

// TestServiceEmitsTheMetricsTheStackWatches runs the service's router with
// the deployed function's metrics environment and holds its EMF output to
// the names the alarms and the dashboard use, so a rename on either side
// fails here instead of leaving an alarm that never sees data.
func TestServiceEmitsTheMetricsTheStackWatches(t *testing.T) {
	f := synth(t, ProdStage)
	namespace, service := f.metricsEnv(t)

	var buf bytes.Buffer
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zapcore.DebugLevel))
	rt := apigw.NewRouter(log, apigw.WithMetrics(apigw.Metrics{Namespace: namespace, Service: service}))
	routes := serviceRoutes(t)
	for _, r := range routes {
		rt.Handle(r, func(context.Context, *apigw.Request) (apigw.Response, error) {
			return apigw.Response{StatusCode: http.StatusOK, Headers: map[string]string{}}, nil
		})
	}
	// Events as API Gateway sends them: the resource it matched and the
	// values of its parameters. The last matches no route.
	var wantRoutes, wantClasses []string
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		params := map[string]string{}
		for _, m := range pathParam.FindAllString(path, -1) {
			params[m[1:len(m)-1]] = "x"
		}
		if _, err := rt.Invoke(t.Context(), events.APIGatewayProxyRequest{HTTPMethod: method, Resource: path, PathParameters: params}); err != nil {
			t.Fatal(err)
		}
		wantRoutes, wantClasses = append(wantRoutes, r), append(wantClasses, "2xx")
	}
	if _, err := rt.Invoke(t.Context(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/no/such/route"}); err != nil {
		t.Fatal(err)
	}
	wantRoutes, wantClasses = append(wantRoutes, "none"), append(wantClasses, "4xx")

	type directive struct {
		Namespace  string
		Dimensions [][]string
		Metrics    []struct{ Name, Unit string }
	}
	var lines []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if obj["msg"] == "request" {
			lines = append(lines, obj)
		}
	}
	if len(lines) != len(wantRoutes) {
		t.Fatalf("%d request lines, want %d", len(lines), len(wantRoutes))
	}
	perRequest := directive{Namespace: namespace, Dimensions: [][]string{{dimService, dimRoute, dimStatusClass}}}
	perRequest.Metrics = append(perRequest.Metrics, struct{ Name, Unit string }{emfRequests, "Count"}, struct{ Name, Unit string }{emfLatency, "Milliseconds"})
	coldStart := directive{Namespace: namespace, Dimensions: [][]string{{dimService}}}
	coldStart.Metrics = append(coldStart.Metrics, struct{ Name, Unit string }{emfColdStart, "Count"})
	for i, obj := range lines {
		raw, _ := json.Marshal(obj["_aws"].(map[string]any)["CloudWatchMetrics"])
		var got []directive
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		want := []directive{perRequest}
		if i == 0 {
			want = append(want, coldStart) // the instance's first request
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("request %d: EMF directives %+v, want %+v", i, got, want)
		}
		for dim, v := range map[string]string{dimService: service, dimRoute: wantRoutes[i], dimStatusClass: wantClasses[i]} {
			if obj[dim] != v {
				t.Errorf("request %d: dimension %s = %v, want %s", i, dim, obj[dim], v)
			}
		}
	}
}
