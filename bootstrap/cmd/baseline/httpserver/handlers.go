package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits of the API, as the service's README states them.
const (
	maxBody     = 64 << 10
	budget      = 10 * time.Second // the service's local REQUEST_BUDGET
	timeFormat  = "2006-01-02T15:04:05.000Z"
	defaultPage = 20
	maxPage     = 100
)

// server is the products API over a store.
type server struct {
	store *store
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /products", s.create)
	mux.HandleFunc("GET /products", s.list)
	mux.HandleFunc("GET /products/{id}", s.get)
	mux.HandleFunc("PUT /products/{id}", s.update)
	mux.HandleFunc("DELETE /products/{id}", s.remove)
	// Every request gets the service's deadline, which bounds its retries.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), budget)
		defer cancel()
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
}

// productJSON is a product as the API shows it.
type productJSON struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	CreateDate     string `json:"createDate"`
	LastUpdateDate string `json:"lastUpdateDate"`
}

func view(p product) productJSON {
	return productJSON{
		ID: p.ID, Name: p.Name, Description: p.Description,
		CreateDate:     p.CreateDate.UTC().Format(timeFormat),
		LastUpdateDate: p.LastUpdateDate.UTC().Format(timeFormat),
	}
}

func (s *server) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if !decode(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		problem(w, http.StatusBadRequest, "name is required")
		return
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := product{ID: newID(now), Name: in.Name, Description: in.Description, CreateDate: now, LastUpdateDate: now, Version: 1}
	if err := s.store.create(r.Context(), p); err != nil {
		storeFailed(w, err)
		return
	}
	w.Header().Set("Location", "/products/"+p.ID)
	writeProduct(w, http.StatusCreated, p)
}

func (s *server) get(w http.ResponseWriter, r *http.Request) {
	p, err := s.store.get(r.Context(), r.PathValue("id"))
	if err != nil {
		storeFailed(w, err)
		return
	}
	writeProduct(w, http.StatusOK, p)
}

func (s *server) update(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
	}
	if !decode(w, r, &in) {
		return
	}
	switch {
	case in.Name == nil && in.Description == nil:
		problem(w, http.StatusBadRequest, "name or description is required")
		return
	case in.Name != nil && strings.TrimSpace(*in.Name) == "":
		problem(w, http.StatusBadRequest, "name must not be blank")
		return
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	p, err := s.store.update(r.Context(), r.PathValue("id"), in.Name, in.Description, now)
	if err != nil {
		storeFailed(w, err)
		return
	}
	writeProduct(w, http.StatusOK, p)
}

func (s *server) remove(w http.ResponseWriter, r *http.Request) {
	if err := s.store.remove(r.Context(), r.PathValue("id")); err != nil {
		storeFailed(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	size := defaultPage
	if v := query.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			problem(w, http.StatusBadRequest, "pageSize must be an integer from 1 to 100")
			return
		}
		size = n
	}
	page, next, err := s.store.list(r.Context(), size, query.Get("nextToken"))
	if err != nil {
		storeFailed(w, err)
		return
	}
	out := struct {
		Products  []productJSON `json:"products"`
		NextToken string        `json:"nextToken,omitempty"`
	}{Products: make([]productJSON, len(page)), NextToken: next}
	for i, p := range page {
		out.Products[i] = view(p)
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

// decode reads a JSON body strictly, answering 400 or 413 itself when it
// cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		problem(w, http.StatusRequestEntityTooLarge, "the body is over 64 KiB")
		return false
	case err != nil:
		problem(w, http.StatusBadRequest, "the body is not valid JSON for this call")
		return false
	}
	return true
}

// storeFailed answers a store error: the client's fault, or 503 with the
// cause in the log only.
func storeFailed(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errNotFound):
		problem(w, http.StatusNotFound, "The resource does not exist.")
	case errors.Is(err, errExists):
		problem(w, http.StatusConflict, "The resource exists.")
	case errors.Is(err, errBadToken):
		problem(w, http.StatusBadRequest, "The nextToken is not one this listing issued.")
	default:
		log.Printf("baseline: %v", err)
		w.Header().Set("Retry-After", "1")
		problem(w, http.StatusServiceUnavailable, "The service is temporarily unavailable. Retry later.")
	}
}

func writeProduct(w http.ResponseWriter, status int, p product) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(p.Version, 10)+`"`)
	writeJSON(w, status, "application/json", view(p))
}

// problem writes an RFC 9457 problem, shaped as the service's.
func problem(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, "application/problem+json", struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{"about:blank", http.StatusText(status), status, detail})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		log.Printf("baseline: encode response: %v", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// newID returns a UUIDv7 (time-ordered, so id order is creation order, as
// the service's listing needs).
func newID(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	b[6] = 0x70 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:])
}
