#!/usr/bin/env bash
# `pnpm test`: everything CI runs. Format, lint (zero warnings), typecheck, build, unit and
# integration tests (they start their own PostgreSQL and MariaDB), the reliability suite
# (fuzzing, load, faults, leak scans; about 1.5 min), Playwright in Chromium, and the compose
# file check.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
bash scripts/ensure-test-deps.sh
echo "== format"; pnpm exec prettier --check . --log-level warn
echo "== lint, typecheck, build"; pnpm exec turbo run lint typecheck build --output-logs=errors-only
echo "== unit and integration"; pnpm exec turbo run test --concurrency=1
echo "== reliability (fuzzing, load, faults, leak scans; uses the build)"; pnpm test:reliability
echo "== end-to-end"; pnpm exec turbo run test:e2e --output-logs=full
echo "== compose file (default and replicas profiles)"
docker-compose --env-file .env.example -f docker-compose.yml config -q
docker-compose --env-file .env.example -f docker-compose.yml --profile replicas config -q
echo "All checks passed."
