// Loaded after require.js and before the widget bundle (embed-amd.js): make
// the bundle load its fonts from this site's _static/widget-assets/ folder,
// next to this file, instead of from a CDN or a path relative to the page.
// The bundle's modules compute their font URLs from their own module paths
// (@jupyter-widgets/base, .../controls, .../html-manager/dist/...), so both
// prefixes are mapped to that folder.
(function () {
  var assets = new URL("widget-assets", document.currentScript.src).href;
  window.__jupyter_widgets_assets_path__ = assets + "/";
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": assets, "@jupyter-widgets": assets } });
})();
