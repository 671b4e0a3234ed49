import { render } from 'preact'
import '../shared/base.css'
import '../diner/diner.css'
import './delivery.css'
import { App } from './app'

render(<App />, document.getElementById('app')!)
