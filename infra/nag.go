package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// AddComplianceChecks runs cdk-nag's AwsSolutions rules on every stack in
// scope when it is synthesized. Findings that are not suppressed in code
// become synthesis errors or warnings.
func AddComplianceChecks(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose:       jsii.Bool(true),
		ReportFormats: &[]cdknag.NagReportFormat{cdknag.NagReportFormat_JSON},
	}), nil)
}

// suppressFindings records, next to the resources they concern, why the
// AwsSolutions findings that remain on the stack are accepted. Each one is
// scoped to a resource (and, for IAM, to the exact policy or resource), so a
// new finding elsewhere still fails synthesis.
func suppressFindings(s *ServiceStack) {
	suppress(s.Secret, rule("AwsSolutions-SMG4",
		"The secret only signs paging tokens (HMAC; it grants no data access). Scheduled rotation would invalidate every nextToken in flight, and the function gets the value at deploy time through a CloudFormation dynamic reference, so a rotation would not even reach it before the next function update."))

	// Tracing ACTIVE puts xray:PutTraceSegments and xray:PutTelemetryRecords
	// in the role's default policy; everything else there is scoped.
	suppress(s.Function.Role(), rule("AwsSolutions-IAM5",
		"X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level permissions; AWS requires Resource '*'. Every other statement names its log group, table and indexes.",
		"Resource::*"))

	// The event function's role has the same X-Ray statement, and
	// table.GrantStreamRead's dynamodb:ListStreams, which lists the
	// account's streams and so cannot name one.
	suppress(s.EventFunction.Role(), rule("AwsSolutions-IAM5",
		"X-Ray's PutTraceSegments and PutTelemetryRecords, and DynamoDB's ListStreams, do not support resource-level permissions; AWS requires Resource '*'. The stream reads name the table's stream, and every other statement names its log group, table, bus or queue.",
		"Resource::*"))
	// SQS3 recognizes a dead-letter queue only by another queue's
	// RedrivePolicy or a function's DeadLetterConfig, not by an event
	// source mapping's on-failure destination.
	suppress(s.DeadLetterQueue, rule("AwsSolutions-SQS3",
		"This queue is itself the dead-letter queue: the on-failure destination of the table stream's event source mapping, and where the event function sends records it cannot decode. Nothing consumes it automatically, so a dead-letter queue of its own would only move the messages one queue further."))

	suppress(s.API, rule("AwsSolutions-APIG2",
		"The Lambda service validates every request body and parameter itself (go-playground/validator on its command types) and answers RFC 9457 problem details; an API Gateway model would be a second, drifting copy of those rules with a different error format."))
	suppress(s.API.DeploymentStage(), rule("AwsSolutions-APIG3",
		"Every method requires SigV4 (AWS_IAM) signatures, so anonymous traffic is rejected before it reaches the function, and the stage is throttled. A WAF web ACL can be associated later (for example by Firewall Manager) without changing this stack."))
	for _, m := range s.Methods {
		suppress(m, rule("AwsSolutions-COG4",
			"The API is for AWS principals, not end users: every method uses AWS_IAM authorization (SigV4), which cdk-nag's APIG4 accepts; a Cognito user pool would add an identity store nobody uses."))
	}

	// RestApi's cloudWatchRole attaches this managed policy. The role is
	// account-wide (every API of the account and region logs through it),
	// so it must allow writing to any API's execution log group.
	if role := s.API.Node().TryFindChild(jsii.String("CloudWatchRole")); role != nil {
		suppress(role, rule("AwsSolutions-IAM4",
			"AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy for API Gateway's account-level logging role, assumed only by apigateway.amazonaws.com. The role is shared by every REST API of the account and region, so it cannot be scoped to this API's log groups.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"))
	}
}

// rule is a suppression of cdk-nag rule id for reason. For granular rules
// (IAM4, IAM5) appliesTo names the findings it covers; without it the
// suppression would cover any future finding of that rule too.
func rule(id, reason string, appliesTo ...string) *cdknag.NagPackSuppression {
	sup := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		findings := make([]interface{}, len(appliesTo))
		for i, f := range appliesTo {
			findings[i] = f
		}
		sup.AppliesTo = &findings
	}
	return sup
}

// suppress attaches sup to construct and its children (an L2 construct's
// CloudFormation resource is its child).
func suppress(construct constructs.IConstruct, sup *cdknag.NagPackSuppression) {
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{sup}, jsii.Bool(true))
}
