# Static, non-root image with nothing but the binary: run it with a
# read-only root filesystem (the exporter writes no files).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# The commit, for kube_reliability_build_info{revision}: .git is not in
# the build context (.dockerignore), so pass it:
#   docker build --build-arg REVISION=$(git rev-parse --short HEAD) .
ARG REVISION=unknown
# Central's binary leaves demo mode out (-tags nodemo): demo's embedded
# etcd and fake clientset never run in a cluster, and their pages would
# count in central's memory.
RUN CGO_ENABLED=0 go build -trimpath -tags nodemo \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/kube-reliability-exporter ./cmd/kube-reliability-exporter
# The agent's binary is built without central's and demo's code (-tags
# agentonly: about 10 MiB less memory on every node) and carries the two
# capabilities it needs as file capabilities, so the DaemonSet can run it
# as a non-root user (docs/privileges.md); central runs the other binary,
# with none. BuildKit's COPY keeps the security.capability attribute.
RUN CGO_ENABLED=0 go build -trimpath -tags agentonly \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION}" \
      -o /out/kube-reliability-agent ./cmd/kube-reliability-exporter \
 && apt-get update && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_sys_ptrace,cap_dac_read_search=ep /out/kube-reliability-agent

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kube-reliability-exporter /kube-reliability-exporter
COPY --from=build /out/kube-reliability-agent /kube-reliability-agent
USER 65532:65532
EXPOSE 9759
ENTRYPOINT ["/kube-reliability-exporter"]
CMD ["central"]
