# Static, non-root image with nothing but the binary: run it with a
# read-only root filesystem (the exporter writes no files).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION}" \
      -o /out/kube-reliability-exporter ./cmd/kube-reliability-exporter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kube-reliability-exporter /kube-reliability-exporter
USER 65532:65532
EXPOSE 9759
ENTRYPOINT ["/kube-reliability-exporter"]
CMD ["central"]
