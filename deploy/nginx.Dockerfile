# The buffering reverse proxy (deploy/nginx) as an image built without a registry: Debian's nginx-light
# with the platform's configuration baked in (docker-compose.yml mounts the same two files into the public
# nginx image instead). Build from the repository root:
#
#   podman build -f deploy/nginx.Dockerfile -t kepu-nginx .
#   podman build -f deploy/nginx.Dockerfile --build-arg BASE_IMAGE=localhost/kepu-debian:bookworm -t kepu-nginx .
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && mkdir -p /var/lib/nginx/body /var/lib/nginx/proxy /var/lib/nginx/fastcgi /var/lib/nginx/uwsgi /var/lib/nginx/scgi \
 && chown -R www-data:www-data /var/lib/nginx /var/log/nginx
COPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf
COPY deploy/nginx/errors.conf /etc/nginx/kepu/errors.conf
# the configuration keeps its pid and temporary files under /tmp: nginx runs as www-data, not root
USER www-data
EXPOSE 8080 8100
CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
