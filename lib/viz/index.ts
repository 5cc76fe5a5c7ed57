// Plot and table helpers (plotly specs rendered offline; HTML and terminal tables).
export * from './plot';
export * from './table';
export * from './error-bars';
export * from './heatmap';
