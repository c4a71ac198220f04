import type { VegaLiteSpec } from '../../modules/run/report/vega-lite-spec';

import type * as VegaModule from 'vega' with { 'resolution-mode': 'import' };
import type * as VegaLiteModule from 'vega-lite' with { 'resolution-mode': 'import' };

type Vega = typeof VegaModule;
type VegaLite = typeof VegaLiteModule;

// vega and vega-lite are ES modules with top-level await: loaded once, on the first report.
let libraries: Promise<{ vega: Vega; vegaLite: VegaLite }> | undefined;

function load(): Promise<{ vega: Vega; vegaLite: VegaLite }> {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
  return libraries;
}

/**
 * A Vega-Lite spec compiled to Vega and drawn to SVG text on the server (a headless View, no canvas):
 * the page needs no script. Vega escapes the text it writes, labels and aria-labels alike.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await load();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
