// The Kibana data view for the logs. Posted with override=true, so re-running the installer
// replaces it instead of failing on "already exists".
import { DATA_VIEW_ID, DATA_VIEW_PATTERN } from "./names";

/** The body of `POST /api/data_views/data_view`. */
export function buildDataView(): Record<string, unknown> {
    return {
        override: true,
        data_view: {
            id: DATA_VIEW_ID,
            name: "kline-analytics logs",
            title: DATA_VIEW_PATTERN,
            timeFieldName: "@timestamp",
        },
    };
}
