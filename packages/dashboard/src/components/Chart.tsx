import { useEffect, useRef } from 'preact/hooks';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  /** Everything but the size, which follows the container. Read once; change `key` to rebuild. */
  options: Omit<Options, 'width' | 'height'>;
  data: AlignedData;
  height?: number;
  label: string;
}

/** A uPlot chart that follows its container's width and takes new data without being rebuilt. */
export function Chart({ options, data, height = 220, label }: ChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = container.current;
    if (element === null) return undefined;
    const plot = new uPlot({ ...options, width: Math.max(200, element.clientWidth), height }, data, element);
    chart.current = plot;
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, element.clientWidth), height }),
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = null;
    };
    // Built once: the options are read once by design, and data changes go through setData below.
  }, []);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return <div class="chart" ref={container} role="img" aria-label={label} />;
}
