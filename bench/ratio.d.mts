/** `value / baseline` as `1.31×`, or `≈ N× faster` where two decimals would print `0.00×`. */
export declare function formatRatio(value: number, baseline: number): string
