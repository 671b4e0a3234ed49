// When CI_REPORT_DIR is set (.ci/run), each suite also writes a JSON report; scripts/ci-summary.ts adds
// them up into one closing "N passed, N failed" line.
export function ciReport(suite: string) {
  const dir = process.env.CI_REPORT_DIR
  return dir ? { reporters: ['default', 'json'], outputFile: { json: `${dir}/${suite}.json` } } : {}
}
