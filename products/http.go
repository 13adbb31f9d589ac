package products

import (
	"context"
	"net/http"
	"strconv"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
)

// Paging defaults and bounds for GET /products.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// timeFormat is ISO 8601 in UTC with milliseconds, as the API promises.
const timeFormat = "2006-01-02T15:04:05.000Z"

// view is a product as the API shows it. Storage attributes never appear.
type view struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	CreateDate     string `json:"createDate"`
	LastUpdateDate string `json:"lastUpdateDate"`
}

func viewOf(p Product) view {
	return view{
		ID:             p.ID,
		Name:           p.Name,
		Description:    p.Description,
		CreateDate:     p.CreateDate.UTC().Format(timeFormat),
		LastUpdateDate: p.LastUpdateDate.UTC().Format(timeFormat),
	}
}

type listView struct {
	Products  []view `json:"products"`
	NextToken string `json:"nextToken,omitempty"`
}

// Routes registers the product API on router, dispatching through bus.
func Routes(router *apigw.Router, bus *command.Bus) {
	rs := routes{bus: bus}
	router.Handle("POST /products", rs.create)
	router.Handle("GET /products", rs.list)
	router.Handle("GET /products/{id}", rs.get)
	router.Handle("PUT /products/{id}", rs.update)
	router.Handle("DELETE /products/{id}", rs.delete)
}

type routes struct {
	bus *command.Bus
}

func (rs routes) create(ctx context.Context, r *apigw.Request) (apigw.Response, error) {
	var cmd CreateProduct
	if err := r.DecodeJSON(&cmd); err != nil {
		return apigw.Response{}, err
	}
	p, err := command.Dispatch[kit.Versioned[Product]](ctx, rs.bus, cmd)
	if err != nil {
		return apigw.Response{}, err
	}
	resp, err := entity(http.StatusCreated, p)
	if err != nil {
		return resp, err
	}
	resp.Headers["Location"] = r.BasePath() + "/products/" + p.Entity.ID
	return resp, nil
}

func (rs routes) get(ctx context.Context, r *apigw.Request) (apigw.Response, error) {
	p, err := command.Dispatch[kit.Versioned[Product]](ctx, rs.bus, GetProduct{ID: r.PathValue("id")})
	if err != nil {
		return apigw.Response{}, err
	}
	if r.NotModified(p.Version) {
		return apigw.Response{StatusCode: http.StatusNotModified, Headers: map[string]string{"ETag": apigw.ETag(p.Version)}}, nil
	}
	return entity(http.StatusOK, p)
}

func (rs routes) update(ctx context.Context, r *apigw.Request) (apigw.Response, error) {
	cmd := UpdateProduct{ID: r.PathValue("id")}
	var err error
	if cmd.IfMatch, err = r.IfMatch(); err != nil {
		return apigw.Response{}, err
	}
	if err := r.DecodeJSON(&cmd); err != nil {
		return apigw.Response{}, err
	}
	p, err := command.Dispatch[kit.Versioned[Product]](ctx, rs.bus, cmd)
	if err != nil {
		return apigw.Response{}, err
	}
	return entity(http.StatusOK, p)
}

func (rs routes) delete(ctx context.Context, r *apigw.Request) (apigw.Response, error) {
	cmd := DeleteProduct{ID: r.PathValue("id")}
	var err error
	if cmd.IfMatch, err = r.IfMatch(); err != nil {
		return apigw.Response{}, err
	}
	if _, err := command.Dispatch[Deleted](ctx, rs.bus, cmd); err != nil {
		return apigw.Response{}, err
	}
	return apigw.NoContent(), nil
}

func (rs routes) list(ctx context.Context, r *apigw.Request) (apigw.Response, error) {
	cmd := ListProducts{PageSize: DefaultPageSize}
	size, err := singleQuery(r, "pageSize")
	if err != nil {
		return apigw.Response{}, err
	}
	if len(r.Query("pageSize")) > 0 {
		n, err := strconv.Atoi(size)
		if err != nil {
			return apigw.Response{}, &kit.ValidationError{Fields: []kit.FieldError{
				{Field: "pageSize", Reason: "must be an integer from 1 to 100"},
			}}
		}
		cmd.PageSize = n
	}
	if cmd.NextToken, err = singleQuery(r, "nextToken"); err != nil {
		return apigw.Response{}, err
	}
	page, err := command.Dispatch[kit.Page[Product]](ctx, rs.bus, cmd)
	if err != nil {
		return apigw.Response{}, err
	}
	out := listView{Products: make([]view, len(page.Items)), NextToken: page.Next}
	for i, p := range page.Items {
		out.Products[i] = viewOf(p)
	}
	return apigw.JSON(http.StatusOK, out)
}

// singleQuery returns a query parameter that may be absent but not repeated.
// An empty nextToken is the first page, as clients that always send the last
// token they got expect.
func singleQuery(r *apigw.Request, name string) (string, error) {
	vs := r.Query(name)
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", &kit.ValidationError{Fields: []kit.FieldError{{Field: name, Reason: "must be given once"}}}
}

// entity renders one product with its ETag.
func entity(status int, p kit.Versioned[Product]) (apigw.Response, error) {
	resp, err := apigw.JSON(status, viewOf(p.Entity))
	if err != nil {
		return resp, err
	}
	resp.Headers["ETag"] = apigw.ETag(p.Version)
	return resp, nil
}
