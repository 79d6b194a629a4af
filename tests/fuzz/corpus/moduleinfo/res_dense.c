// A module whose blocks use every liberty the tokenizer allows.
/*** MODULEINFO
	<depend type='module'>app_stack</depend><depend>openssl</depend>
	<use type="external">zlib</use> <use type="service">timer</use>
	<!-- a comment: <use type="module">not_me</use> -->
	<canuse>pbx_config</canuse><canuse type="realtime">sqlite3</canuse>
	<provides priority="200" type="service">timer</provides>
	<provides type='realtime'>dense</provides>
	<description>  Dense   &amp; &quot;tidy&quot;
		&lt;test&gt; module &#233;&#xE9; it&apos;s   </description>
	<support_level >extended</support_level ><load_priority>timing</load_priority>
	<config>dense.conf</config><config>dense&#45;extra.conf</config>
	<export_globals>no</export_globals>
	<defaultenabled>no</defaultenabled>
	<conflict>res_sparse</conflict><conflict>res_other</conflict>
	<replacement>res_denser</replacement><deprecated_in>21</deprecated_in>
 ***/

/*** DOCUMENTATION
	<application name="Dense" language="en_US"><synopsis>x</synopsis></application>
	<application language="ja_JP" name='Dense'/>
	<function name="DENSE&amp;CO"/><manager name="DenseStatus"/>
	<agi name="dense_show"/>
	<configInfo name="res_dense"><configFile name="dense.conf"/></configInfo>
	<managerEvent name="DenseEvent"/>
	<info name="x"/>
	<application><synopsis>no name: ignored</synopsis></application>
	<agi name="dense_list"><synopsis><![CDATA[ <not> a tag 	<![CDATA[ <not> a tag ]]> ]]></synopsis></agi>
 ***/
