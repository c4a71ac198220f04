// The GraphiQL page's own script (served by src/http/graphiql/graphiql.routes.ts), after React, ReactDOM and
// GraphiQL's UMD builds have set their globals. Plain browser JavaScript: it is served as is, not compiled.
'use strict';

(function renderGraphiql() {
  var endpoint = new URL('/graphql', window.location.href);
  // Subscriptions go over graphql-ws on the same path; the Headers editor's values become its connectionParams.
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = window.GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });
  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    window.React.createElement(window.GraphiQL, {
      fetcher: fetcher,
      defaultQuery:
        '# Credentials go in the Headers tab below, e.g. { "Authorization": "Bearer aim_…" }.\n{\n  datasets {\n    id\n    name\n    rowCount\n  }\n}\n',
      // Headers often hold an API key: kept in this tab's memory, never written to localStorage.
      shouldPersistHeaders: false,
    }),
  );
})();
