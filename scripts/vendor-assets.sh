#!/usr/bin/env bash
# Fetches the JavaScript and CSS the pages use from the npm registry into static/vendor/ (run by hand,
# results committed): the pages then load nothing from the internet. Versions are pinned here. Only what a
# page loads: Leaflet and its plugins for the maps, Chart.js for the map's panels (folium's defaults, jQuery,
# Bootstrap, Font Awesome and awesome-markers, are used by no page; tests/test_map_browser.py checks).
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() {  # package@version -> $work/<package>/
  local dir="$work/${1%@*}"
  mkdir -p "$dir"
  (cd "$work" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz -C "$dir" --strip-components=1 && rm ./*.tgz)
}
rm -rf "$out" && mkdir -p "$out"/{leaflet,vectorgrid,heat,groupedlayercontrol,chartjs}
fetch leaflet@1.9.3
cp -r "$work/leaflet/dist/leaflet.js" "$work/leaflet/dist/leaflet.css" "$work/leaflet/dist/images" "$out/leaflet/"
fetch leaflet.vectorgrid@1.3.0
cp "$work/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js" "$out/vectorgrid/"
fetch leaflet.heat@0.2.0
cp "$work/leaflet.heat/dist/leaflet-heat.js" "$out/heat/"
fetch leaflet-groupedlayercontrol@0.6.1
cp "$work/leaflet-groupedlayercontrol/dist/leaflet.groupedlayercontrol.min.js" \
   "$work/leaflet-groupedlayercontrol/dist/leaflet.groupedlayercontrol.min.css" "$out/groupedlayercontrol/"
fetch chart.js@4.5.1
cp "$work/chart.js/dist/chart.umd.min.js" "$work/chart.js/LICENSE.md" "$out/chartjs/"
du -sh "$out"
