# Build: a static binary (no cgo), stamped with VERSION.
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first, so this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X lawka/internal/version.Version=${VERSION}" -o /out/lawka ./cmd/lawka

# Run: distroless (CA certificates and tzdata, no shell), as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lawka /usr/local/bin/lawka
USER nonroot:nonroot
ENV LAWKA_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
	CMD ["/usr/local/bin/lawka", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/lawka"]
CMD ["serve"]
