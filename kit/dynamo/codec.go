package dynamo

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// DecodeEntity decodes item into a new value of typ, the entity's own type
// (a struct, or a pointer to one). The memory adapter shares it, so both
// adapters read entities the same way.
func DecodeEntity(typ reflect.Type, item map[string]types.AttributeValue) (kit.Entity, error) {
	p := reflect.New(typ)
	if typ.Kind() == reflect.Pointer {
		p = reflect.New(typ.Elem())
	}
	if err := attributevalue.UnmarshalMapWithOptions(item, p.Interface(), jsonNames); err != nil {
		return nil, fmt.Errorf("unmarshal: %w", err)
	}
	if typ.Kind() == reflect.Pointer {
		return p.Interface().(kit.Entity), nil
	}
	return p.Elem().Interface().(kit.Entity), nil
}

// EncodeEntity encodes an entity's attributes, under their JSON names: one
// name per field, the same in the API, in patches and in the table.
func EncodeEntity(entity kit.Entity) (map[string]types.AttributeValue, error) {
	m, err := attributevalue.MarshalMapWithOptions(entity, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	return m, nil
}

// EncodeValue encodes one attribute's value, as a patch sets it.
func EncodeValue(v any) (types.AttributeValue, error) {
	av, err := attributevalue.MarshalWithOptions(v, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
	if err != nil {
		return nil, fmt.Errorf("marshal: %w", err)
	}
	return av, nil
}

// EncodeSet encodes the values a patch sets, by attribute name.
func EncodeSet(patch kit.Patch) (map[string]types.AttributeValue, error) {
	set := make(map[string]types.AttributeValue, len(patch.Set))
	for name, value := range patch.Set {
		av, err := EncodeValue(value)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", name, err)
		}
		set[name] = av
	}
	return set, nil
}

func jsonNames(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

// Describe renders an item as one line of JSON with its attributes sorted,
// for tests that compare what a store holds before and after a request.
func Describe(item map[string]types.AttributeValue) string {
	var m map[string]any
	if err := attributevalue.UnmarshalMap(item, &m); err != nil {
		return fmt.Sprintf("undecodable item: %v", err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf("unencodable item: %v", err)
	}
	return string(b)
}
